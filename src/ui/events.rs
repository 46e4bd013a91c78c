//! Results from the background, applied to the window's state at the start of a frame.

use super::actions::Action;
use super::app::S3SealApp;
use super::backend::{Command, Event, Requested};
use super::badges::{Badge, KmsNames};
use super::connection_bar::ConnStatus;
use super::objects_table::BadgeEntry;
use super::transfers::TransferKind;

/// Events handled per frame at most, so a flood of pages never stalls a frame.
const MAX_EVENTS_PER_FRAME: usize = 256;

impl S3SealApp {
    /// Applies the events that have arrived.
    pub(super) fn poll_backend(&mut self) {
        for _ in 0..MAX_EVENTS_PER_FRAME {
            let Some(event) = self.backend.try_recv() else {
                return;
            };
            self.handle_event(event);
        }
        // More are waiting: come back soon.
        self.ctx.request_repaint();
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Connected(Ok(info)) => {
                self.plain_http = info.plain_http;
                if info.plain_http {
                    self.notices.error(
                        "This connection is plain HTTP: data and credentials travel unencrypted, and SSE-C is refused.",
                    );
                }
                self.bar.status = ConnStatus::Connected(info);
                let current = self.state.current.clone();
                self.state.remember(&current);
                self.buckets.buckets = Requested::Loading;
                self.send(Command::ListBuckets);
                // Aliases name the KMS keys in badges; a failure shows where keys are picked.
                self.kms = Requested::Loading;
                self.send(Command::ListKms);
                if let Some(uri) = self.goto.take() {
                    self.apply(Action::OpenBucket(uri.bucket.clone()));
                    if !uri.key.is_empty() {
                        let prefix = match uri.key.rfind('/') {
                            Some(i) => uri.key[..=i].to_owned(),
                            None => String::new(),
                        };
                        self.apply(Action::OpenPrefix(prefix));
                    }
                }
            }
            Event::Connected(Err(err)) => {
                let text = err.to_string();
                self.notices.error(format!("connect: {text}"));
                self.bar.status = ConnStatus::Failed(text);
            }
            Event::Profiles(profiles) => self.bar.profiles = profiles,
            Event::Buckets(result) => {
                if let Err(err) = &result {
                    self.notices.error(format!("list buckets: {err}"));
                }
                self.buckets.buckets.set(result);
            }
            Event::ListPage { generation, page } => {
                if generation == self.objects.listing.generation {
                    self.objects.add_page(page);
                }
            }
            Event::ListDone { generation, result } => {
                if generation == self.objects.listing.generation {
                    self.objects.listing.loading = false;
                    self.objects.listing.handle = None;
                    if let Err(err) = result {
                        let text = err.to_string();
                        self.notices.error(format!("list: {text}"));
                        self.objects.listing.error = Some(text);
                    }
                }
            }
            Event::Head { uri, result } => {
                if self.objects.bucket.as_deref() != Some(uri.bucket.as_str()) {
                    return;
                }
                let etag = self.objects.listed(&uri.key).and_then(|e| e.etag.clone());
                let entry = match result {
                    Ok(info) => BadgeEntry::Known {
                        badge: Badge::from_info(&info, &self.kms_names),
                        etag,
                    },
                    Err(err) => BadgeEntry::Failed(err.to_string()),
                };
                self.objects.set_badge(&uri.key, entry);
            }
            Event::Inspected { uri, result } => {
                if self.inspector.target.as_ref() != Some(&uri) {
                    return;
                }
                if let Ok(info) = &result
                    && self.objects.bucket.as_deref() == Some(uri.bucket.as_str())
                {
                    let etag = self.objects.listed(&uri.key).and_then(|e| e.etag.clone());
                    let badge = Badge::from_info(info, &self.kms_names);
                    self.objects
                        .set_badge(&uri.key, BadgeEntry::Known { badge, etag });
                }
                self.inspector.handle = None;
                self.inspector.info.set(result);
            }
            Event::KmsKeys(result) => {
                match &result {
                    Ok(keys) => {
                        self.kms_names = KmsNames::new(keys);
                        // Badges made before the aliases were known show bare key ids.
                        self.objects.badges.retain(|_, b| {
                            !matches!(b, BadgeEntry::Known { badge, .. } if badge.mode == crate::s3::EncryptionMode::SseKms || badge.mode == crate::s3::EncryptionMode::DsseKms)
                        });
                    }
                    Err(err) => {
                        tracing::info!(error = %err, "KMS keys cannot be listed");
                    }
                }
                self.kms.set(result);
            }
            Event::TransferDone { id, result } => self.transfer_done(id, result),
            Event::Deleted { uri, result } => match result {
                Ok(()) => {
                    self.notices.info(format!("deleted {uri}"));
                    if self.objects.bucket.as_deref() == Some(uri.bucket.as_str()) {
                        self.objects.remove_object(&uri.key);
                    }
                    if self.inspector.target.as_ref() == Some(&uri) {
                        self.inspector.clear();
                    }
                }
                Err(err) => self.notices.error(format!("delete {uri}: {err}")),
            },
            Event::KeysListed(result) => {
                if let Some(dialog) = &mut self.key_dialog {
                    dialog.busy = false;
                    if let Err(err) = &result {
                        dialog.status = Some(Err(err.to_string()));
                    }
                }
                self.keys.set(result);
            }
            Event::Bucket(event) => self.handle_bucket_event(event),
            Event::KeyOpDone { what, result } => {
                match &result {
                    Ok(_) => {
                        self.objects.forget_unresolved_badges();
                        if let Some(dialog) = &mut self.key_dialog {
                            dialog.rename = None;
                            dialog.new_name.clear();
                            dialog.import_name.clear();
                            dialog.import_file = None;
                        }
                    }
                    Err(err) => self.notices.error(format!("{what}: {err}")),
                }
                if let Some(dialog) = &mut self.key_dialog {
                    dialog.status = Some(result.map_err(|e| format!("{what}: {e}")));
                }
            }
        }
    }

    fn transfer_done(&mut self, id: u64, result: crate::Result<String>) {
        let Some((what, uri, kind)) = self
            .transfers
            .get(id)
            .map(|t| (t.what.clone(), t.uri.clone(), t.kind))
        else {
            return;
        };
        if let Err(err) = &result {
            self.notices.error(format!("{what}: {err}"));
        }
        let ok = result.is_ok();
        self.transfers.finish(id, result.map_err(|e| e.to_string()));
        if !ok || kind == TransferKind::Download {
            return;
        }
        // An upload or rekey changed an object in this folder: list again, re-ask badges.
        if self.objects.bucket.as_deref() == Some(uri.bucket.as_str()) {
            self.objects.forget_badge(&uri.key);
            let folder = uri.key.rfind('/').map_or("", |i| &uri.key[..=i]);
            if folder == self.objects.prefix && !self.objects.listing.loading {
                self.refresh_listing();
            }
            if self.inspector.target.as_ref() == Some(&uri) {
                self.inspector.clear();
                self.apply(Action::Select(uri.key.clone()));
            }
        }
    }
}
