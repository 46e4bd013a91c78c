//! The window filled from data in memory instead of a server: pictures for the README and
//! demonstrations. Nothing here asks a server, and the window is given no connection to ask
//! one with: whatever a person clicks in a preview fails as "not connected".

use std::sync::Arc;

use super::app::{CentralView, S3SealApp};
use super::badges::{Badge, KmsNames};
use super::bucket_view::BucketView;
use super::buckets::BucketsPanel;
use super::key_manager::KeyManagerDialog;
use super::object_rows::BadgeEntry;
use super::request::Requested;
use super::upload_dialog::UploadDialog;
use crate::keys::KeyRecord;
use crate::s3::bucket::BucketSecurity;
use crate::s3::bucket::audit::AuditReport;
use crate::s3::bucket::preview::UploadRules;
use crate::s3::inventory::InventoryStatus;
use crate::s3::kms::KmsKeyChoice;
use crate::s3::listing::{BucketEntry, ListPage};
use crate::s3::{Connection, ObjectInfo, S3Uri};
use crate::transfer::orphans::IncompleteUploads;

/// Everything a preview shows.
pub struct Preview {
    /// What the connection bar shows: the lock line reads the connection's endpoint and
    /// region. It is never used to send a request.
    pub connection: Arc<Connection>,
    /// The endpoint and region fields of the connection bar.
    pub endpoint_url: String,
    pub region: String,
    pub buckets: Vec<BucketEntry>,
    /// The open bucket, and its root listed as these pages.
    pub bucket: String,
    pub listing: Vec<ListPage>,
    /// What each listed object was found to be (badges, the inspector).
    pub objects: Vec<ObjectInfo>,
    /// The object shown in the inspector.
    pub selected: Option<String>,
    pub local_keys: Vec<KeyRecord>,
    pub kms_keys: Vec<KmsKeyChoice>,
    /// The audit of the bucket's root.
    pub audit: Option<AuditReport>,
    /// The bucket's inventories, as the Audit tab offers them.
    pub inventory: InventoryStatus,
    /// The bucket's default encryption and policy, as the upload dialog checks them.
    pub upload_rules: UploadRules,
    /// The bucket's protection, as Bucket security judges it.
    pub security: BucketSecurity,
    /// The bucket's incomplete multipart uploads.
    pub incomplete: IncompleteUploads,
}

/// Which part of the window a preview opens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewPart {
    /// Objects with their badges, and the inspector.
    Objects,
    /// The Bucket security tab.
    Security,
    /// The Audit tab with the audit's counts and rows.
    Audit,
    /// The key manager over the objects.
    Keys,
    /// The upload dialog with these files chosen, over the objects.
    Upload(Vec<std::path::PathBuf>),
}

impl S3SealApp {
    /// Shows `preview` instead of anything asked of a server, opened on `part`. What was
    /// on screen before is replaced; any request still pending is dropped (cancelled).
    pub fn show_preview(&mut self, preview: &Preview, part: PreviewPart) {
        self.welcome = None;
        self.state.current.endpoint_url = preview.endpoint_url.clone();
        self.state.current.region = preview.region.clone();
        self.connection.connect = Requested::Ready(preview.connection.clone());
        self.buckets = BucketsPanel {
            buckets: Requested::Ready(preview.buckets.clone()),
            filter: String::new(),
        };
        self.shared.keys = Requested::Ready(preview.local_keys.clone());
        self.shared.kms_names = KmsNames::new(&preview.kms_keys);
        self.shared.kms = Requested::Ready(preview.kms_keys.clone());

        self.load_listing(&preview.bucket, "", preview.listing.clone());
        for info in &preview.objects {
            let badge = Badge::from_info(info, &self.shared.kms_names);
            let etag = self.objects.listed(&info.key).and_then(|e| e.etag.clone());
            self.objects
                .set_badge(&info.key, BadgeEntry::Known { badge, etag });
        }
        self.inspector = Default::default();
        if let Some(key) = &preview.selected {
            self.objects.select(key.clone());
            if let Some(info) = preview.objects.iter().find(|o| &o.key == key) {
                self.inspector.target = Some(S3Uri::new(&preview.bucket, key));
                self.inspector.info = Requested::Ready(info.clone());
            }
        }
        self.audit = Default::default();
        self.audit.inventory.show_status(preview.inventory.clone());
        self.security = BucketView::default();
        self.security.bucket = Some(preview.bucket.clone());
        self.security.security = Requested::Ready(Box::new(preview.security.clone()));
        self.security
            .inventory
            .show_status(preview.inventory.clone());
        self.security
            .incomplete
            .show_uploads(preview.incomplete.clone());
        if let Some(report) = &preview.audit {
            self.audit.target = Some(S3Uri::new(&preview.bucket, ""));
            self.audit.report = Requested::Ready(report.clone());
        }

        self.view = CentralView::Objects;
        self.key_dialog = None;
        self.upload = None;
        match part {
            PreviewPart::Objects => {}
            PreviewPart::Security => self.view = CentralView::Security,
            PreviewPart::Audit => self.view = CentralView::Audit,
            PreviewPart::Keys => self.key_dialog = Some(KeyManagerDialog::default()),
            PreviewPart::Upload(files) => {
                let mut dialog = UploadDialog::new("", files);
                dialog.rules = Requested::Ready(preview.upload_rules.clone());
                self.upload = Some(dialog);
            }
        }
    }
}
