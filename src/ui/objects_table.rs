//! The objects table: breadcrumb, folders and objects under the current prefix in a sortable,
//! virtualised table (only the rows on screen are laid out), and the encryption badge of each
//! row, filled lazily from HEAD requests for the rows on screen and cached. The view owns its
//! listing (a stream of pages) and its badge requests: opening another folder drops them, and
//! with them the work still under way.

use std::collections::HashMap;

use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};

use super::actions::Action;
use super::badges::{Badge, KmsNames, badge_ui};
use super::format::{human_size, short_time};
use super::notices::problem_ui;
use super::object_rows::{BadgeEntry, Order, Row, SortBy, merge};
use super::remedy::Problem;
use super::request::Streamed;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::s3::inspect;
use crate::s3::listing::{self, ListPage, ObjectEntry};
use crate::s3::{ReadKeys, S3Uri};

/// Badge HEADs the table keeps in flight; more visible rows wait for the next frames.
pub const MAX_BADGE_REQUESTS: usize = 24;
/// Height of one table row.
const ROW_HEIGHT: f32 = 20.0;

/// Objects per listing page (S3's maximum).
const LIST_PAGE_SIZE: i32 = 1000;
/// Pages added per frame at most, so a flood of pages never stalls a frame.
const PAGES_PER_FRAME: usize = 8;

/// The centre of the window.
#[derive(Debug)]
pub struct ObjectsView {
    pub bucket: Option<String>,
    pub prefix: String,
    rows: Vec<Row>,
    /// Object key → index in `rows`.
    key_index: HashMap<String, usize>,
    /// Indices into `rows` in display order.
    order: Vec<usize>,
    order_dirty: bool,
    pub sort: SortBy,
    pub ascending: bool,
    /// The listing of this folder while pages come (dropping it cancels the rest).
    listing: Option<Streamed<ListPage>>,
    /// Why the listing stopped early, if it did.
    pub error: Option<Problem>,
    pub selected: Option<String>,
    /// Badges by object key (for the current bucket); asked ones are in flight.
    pub badges: HashMap<String, BadgeEntry>,
    /// Set to scroll the selection into view on the next frame.
    scroll_to_selected: bool,
}

impl Default for ObjectsView {
    fn default() -> Self {
        Self {
            bucket: None,
            prefix: String::new(),
            rows: Vec::new(),
            key_index: HashMap::new(),
            order: Vec::new(),
            order_dirty: false,
            sort: SortBy::Name,
            ascending: true,
            listing: None,
            error: None,
            selected: None,
            badges: HashMap::new(),
            scroll_to_selected: false,
        }
    }
}

impl ObjectsView {
    /// Empties the table for `bucket`/`prefix` (the listing still under way is dropped).
    pub fn reset(&mut self, bucket: &str, prefix: &str) {
        if self.bucket.as_deref() != Some(bucket) {
            self.badges.clear();
        }
        // Badges still being asked for another folder are dropped, which cancels them.
        self.badges
            .retain(|_, b| !matches!(b, BadgeEntry::Asked(_)));
        self.bucket = Some(bucket.to_owned());
        self.prefix = prefix.to_owned();
        self.rows.clear();
        self.key_index.clear();
        self.order.clear();
        self.selected = None;
        self.listing = None;
        self.error = None;
    }

    /// Lists `bucket`/`prefix` afresh, page by page.
    pub fn open(&mut self, tasks: &Tasks, bucket: &str, prefix: &str) {
        self.reset(bucket, prefix);
        let (bucket, prefix) = (bucket.to_owned(), prefix.to_owned());
        self.listing = Some(tasks.s3_stream(2, move |conn, tx| async move {
            use futures::StreamExt as _;
            let mut pages = std::pin::pin!(listing::list_objects(
                &conn,
                &bucket,
                &prefix,
                Some("/"),
                Some(LIST_PAGE_SIZE)
            ));
            while let Some(page) = pages.next().await {
                let stop = page.is_err();
                if tx.send(page).await.is_err() || stop {
                    return;
                }
            }
        }));
    }

    /// Whether pages are still coming.
    pub fn is_listing(&self) -> bool {
        self.listing.as_ref().is_some_and(Streamed::is_running)
    }

    /// Takes the pages and badges that arrived.
    fn poll(&mut self, kms: &KmsNames) {
        let pages = match &mut self.listing {
            Some(listing) => listing.poll(PAGES_PER_FRAME),
            None => Vec::new(),
        };
        for page in pages {
            self.add_page(page);
        }
        if let Some(listing) = &self.listing
            && !listing.is_running()
        {
            self.error = listing.problem().cloned();
            self.listing = None;
        }
        let mut arrived = Vec::new();
        for (key, entry) in &mut self.badges {
            if let BadgeEntry::Asked(request) = entry
                && let Some(answer) = request.try_take()
            {
                arrived.push((key.clone(), answer));
            }
        }
        for (key, answer) in arrived {
            let entry = match answer {
                Ok(info) => BadgeEntry::Known {
                    badge: Badge::from_info(&info, kms),
                    etag: self.listed(&key).and_then(|e| e.etag.clone()),
                },
                Err(err) => BadgeEntry::Failed(Problem::from(err)),
            };
            self.set_badge(&key, entry);
        }
    }

    /// Asks for the badges of `keys` (one HEAD each; SSE-C keys only where at home).
    fn ask_badges(&mut self, tasks: &Tasks, keys: Vec<String>) {
        let Some(bucket) = self.bucket.clone() else {
            return;
        };
        for key in keys {
            let uri = S3Uri::new(&bucket, &key);
            let request = tasks.s3(move |conn, access, _| async move {
                let resolved = conn
                    .inspections()
                    .run(inspect::resolve(&conn, &access, &uri, &ReadKeys::AtHome))
                    .await?;
                Ok(inspect::object_info(&uri, &resolved))
            });
            self.badges.insert(key, BadgeEntry::Asked(request));
        }
    }

    /// The badge requests in flight.
    pub fn badges_asked(&self) -> usize {
        self.badges
            .values()
            .filter(|b| matches!(b, BadgeEntry::Asked(_)))
            .count()
    }

    /// Adds a page that arrived for the current listing.
    pub fn add_page(&mut self, page: ListPage) {
        for prefix in page.prefixes {
            let name = prefix
                .strip_prefix(&self.prefix)
                .unwrap_or(&prefix)
                .to_owned();
            self.rows.push(Row::Folder { prefix, name });
        }
        for entry in page.objects {
            // S3 lists the "folder marker" object equal to the prefix itself: not a row.
            if entry.key == self.prefix {
                continue;
            }
            let name = entry
                .key
                .strip_prefix(&self.prefix)
                .unwrap_or(&entry.key)
                .to_owned();
            self.key_index.insert(entry.key.clone(), self.rows.len());
            self.rows.push(Row::Object { entry, name });
        }
        // The order is extended by the new rows alone (see sort_if_needed): a listing that
        // streams in does not sort every row again with each page.
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&Row> {
        let selected = self.selected.as_deref()?;
        self.rows.iter().find(|r| r.id() == selected)
    }

    /// Removes an object's row (after a delete).
    pub fn remove_object(&mut self, key: &str) {
        self.rows
            .retain(|r| !matches!(r, Row::Object { entry, .. } if entry.key == key));
        self.key_index = self
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Row::Object { entry, .. } => Some((entry.key.clone(), i)),
                Row::Folder { .. } => None,
            })
            .collect();
        self.badges.remove(key);
        if self.selected.as_deref() == Some(key) {
            self.selected = None;
        }
        self.order_dirty = true;
    }

    /// Forgets an object's badge so it is asked again (after an upload or rekey).
    pub fn forget_badge(&mut self, key: &str) {
        self.badges.remove(key);
    }

    /// Forgets every badge whose key was unknown, and failed ones (the local keys changed).
    pub fn forget_unresolved_badges(&mut self) {
        self.badges.retain(|_, b| match b {
            BadgeEntry::Known { badge, .. } => !badge.key_unknown,
            BadgeEntry::Failed(_) => false,
            BadgeEntry::Asked(_) => true,
        });
    }

    /// Forgets the KMS badges (the aliases arrived after them).
    pub fn forget_kms_badges(&mut self) {
        self.badges.retain(|_, b| {
            !matches!(b, BadgeEntry::Known { badge, .. }
                if matches!(badge.mode, crate::s3::EncryptionMode::SseKms | crate::s3::EncryptionMode::DsseKms))
        });
    }

    pub fn select(&mut self, id: String) {
        self.selected = Some(id);
        self.scroll_to_selected = true;
    }

    /// Recomputes the display order when rows or the sort changed, folders first. Rows that
    /// arrived since (a listing's next page) are sorted alone and merged in: S3 lists keys in
    /// order, so sorted by name they are simply appended, and any order costs one pass over
    /// the rows at most, not a sort of all of them, however many pages stream in.
    pub fn sort_if_needed(&mut self) {
        let order_of = Order {
            rows: &self.rows,
            badges: &self.badges,
            sort: self.sort,
            ascending: self.ascending,
        };
        if self.order_dirty || self.order.len() > self.rows.len() {
            let mut order: Vec<usize> = (0..self.rows.len()).collect();
            order.sort_by(|&a, &b| order_of.compare(a, b));
            self.order = order;
            self.order_dirty = false;
            return;
        }
        if self.order.len() == self.rows.len() {
            return;
        }
        let mut new: Vec<usize> = (self.order.len()..self.rows.len()).collect();
        new.sort_by(|&a, &b| order_of.compare(a, b));
        let appends = match (self.order.last(), new.first()) {
            (Some(&last), Some(&first)) => order_of.compare(last, first).is_le(),
            _ => true,
        };
        if appends {
            self.order.extend(new);
        } else {
            self.order = merge(&self.order, &new, |a, b| order_of.compare(a, b));
        }
    }

    /// Changes the sort column, or flips the direction when it is already the column.
    pub fn set_sort(&mut self, by: SortBy) {
        if self.sort == by {
            self.ascending = !self.ascending;
        } else {
            self.sort = by;
            self.ascending = true;
        }
        self.order_dirty = true;
    }

    /// The ETag the listing reported for `key`, when it is listed.
    pub fn listed(&self, key: &str) -> Option<&ObjectEntry> {
        match self.rows.get(*self.key_index.get(key)?)? {
            Row::Object { entry, .. } => Some(entry),
            Row::Folder { .. } => None,
        }
    }

    /// Stores a badge that arrived.
    pub fn set_badge(&mut self, key: &str, entry: BadgeEntry) {
        self.badges.insert(key.to_owned(), entry);
        if self.sort == SortBy::Encryption {
            self.order_dirty = true;
        }
    }
}

/// Breadcrumb: bucket › folder › folder, each a link to that level.
pub fn breadcrumb_ui(ui: &mut egui::Ui, view: &ObjectsView, actions: &mut Vec<Action>) {
    let Some(bucket) = &view.bucket else {
        ui.label(RichText::new("Pick a bucket on the left").weak());
        return;
    };
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(!view.prefix.is_empty(), egui::Button::new("⬆ Up"))
            .accessible_name("Up")
            .on_hover_text("Parent folder (Backspace)")
            .clicked()
        {
            actions.push(Action::Up);
        }
        if ui
            .button("⟳ Refresh")
            .accessible_name("Refresh")
            .on_hover_text("List again (F5)")
            .clicked()
        {
            actions.push(Action::Refresh);
        }
        if ui
            .button("Upload…")
            .on_hover_text("Upload files (Ctrl+U)")
            .clicked()
        {
            actions.push(Action::OpenUpload);
        }
        if let Some(Row::Folder { prefix, .. }) = view.selected_row()
            && ui
                .button("Download folder…")
                .on_hover_text("Download every object in the selected folder")
                .clicked()
        {
            actions.push(Action::DownloadFolder(S3Uri::new(bucket, prefix)));
        }
        ui.separator();
        if ui.link(RichText::new(bucket).strong()).clicked() {
            actions.push(Action::OpenPrefix(String::new()));
        }
        let mut so_far = String::new();
        for part in view.prefix.split_terminator('/') {
            so_far.push_str(part);
            so_far.push('/');
            ui.label("›");
            if ui.link(part).clicked() {
                actions.push(Action::OpenPrefix(so_far.clone()));
            }
        }
        if view.is_listing() {
            ui.spinner();
            ui.label(format!("{} so far…", view.rows.len()));
        } else {
            ui.label(RichText::new(format!("{} items", view.rows.len())).weak());
        }
    });
}

/// The table itself. Visible objects whose badge is unknown are asked for as they show.
pub fn objects_table_ui(ui: &mut egui::Ui, view: &mut ObjectsView, cx: &mut Cx<'_>) {
    view.poll(&cx.shared.kms_names);
    if view.bucket.is_none() {
        return;
    }
    let actions = &mut *cx.actions;
    if let Some(problem) = &view.error {
        problem_ui(ui, problem);
        if ui.button("Retry").clicked() {
            actions.push(Action::Refresh);
        }
    }
    view.sort_if_needed();
    if view.rows.is_empty() {
        if !view.is_listing() && view.error.is_none() {
            ui.label(
                RichText::new("This folder is empty. Drop files here or press Upload…").weak(),
            );
        }
        return;
    }

    let scroll_to = if view.scroll_to_selected {
        view.scroll_to_selected = false;
        view.selected
            .as_deref()
            .and_then(|sel| view.order.iter().position(|&i| view.rows[i].id() == sel))
    } else {
        None
    };
    let mut want = Vec::new();
    let mut clicked_sort = None;
    let mut table = TableBuilder::new(ui)
        .id_salt("objects")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Name takes what the others leave; together they fit a 1024-point window.
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::initial(75.0).at_least(60.0))
        .column(Column::initial(120.0).at_least(80.0))
        .column(Column::initial(200.0).at_least(100.0).clip(true));
    if let Some(row) = scroll_to {
        table = table.scroll_to_row(row, None);
    }
    let arrow = |by: SortBy| {
        if view.sort != by {
            ""
        } else if view.ascending {
            " ⏶"
        } else {
            " ⏷"
        }
    };
    let headers = [
        (SortBy::Name, "Name"),
        (SortBy::Size, "Size"),
        (SortBy::Modified, "Modified"),
        (SortBy::Encryption, "Encryption"),
    ];
    let header_labels: Vec<(SortBy, String)> = headers
        .iter()
        .map(|(by, name)| (*by, format!("{name}{}", arrow(*by))))
        .collect();
    let in_flight = view.badges_asked();
    let ObjectsView {
        rows,
        order,
        selected,
        badges,
        bucket,
        ..
    } = view;
    table
        .header(22.0, |mut header| {
            for (by, label) in &header_labels {
                header.col(|ui| {
                    if ui
                        .add(egui::Button::new(RichText::new(label).strong()).frame(false))
                        .clicked()
                    {
                        clicked_sort = Some(*by);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, order.len(), |mut table_row| {
                let Some(row) = order.get(table_row.index()).and_then(|&i| rows.get(i)) else {
                    return;
                };
                let is_selected = selected.as_deref() == Some(row.id());
                table_row.set_selected(is_selected);
                let mut clicked = false;
                table_row.col(|ui| {
                    let text = match row {
                        Row::Folder { name, .. } => format!("📁 {name}"),
                        Row::Object { name, .. } => name.clone(),
                    };
                    let response = ui.add(egui::Button::selectable(is_selected, text).frame(false));
                    clicked |= response.clicked();
                    if let Row::Folder { prefix, .. } = row
                        && let Some(bucket) = bucket.as_deref()
                    {
                        response.context_menu(|ui| {
                            if ui.button("Download folder…").clicked() {
                                actions.push(Action::DownloadFolder(S3Uri::new(bucket, prefix)));
                                ui.close();
                            }
                        });
                    }
                    // From the keyboard: Space selects a focused row, Enter opens a folder.
                    let entered = response.clicked()
                        && response.has_focus()
                        && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (response.double_clicked() || entered)
                        && let Row::Folder { prefix, .. } = row
                    {
                        actions.push(Action::OpenPrefix(prefix.clone()));
                    }
                });
                table_row.col(|ui| {
                    if let Row::Object { entry, .. } = row {
                        ui.label(human_size(entry.size));
                    }
                });
                table_row.col(|ui| {
                    ui.label(short_time(row.modified()).replace('T', " "));
                });
                table_row.col(|ui| match row {
                    Row::Folder { .. } => {}
                    Row::Object { entry, .. } => match badges.get(&entry.key) {
                        Some(BadgeEntry::Known { badge, etag }) if *etag == entry.etag => {
                            badge_ui(ui, badge);
                        }
                        Some(BadgeEntry::Failed(problem)) => {
                            ui.label(RichText::new("? unreadable").weak())
                                .on_hover_text(&problem.summary);
                        }
                        Some(BadgeEntry::Asked(_)) => {
                            ui.label(RichText::new("…").weak());
                        }
                        _ => {
                            ui.label(RichText::new("…").weak());
                            if in_flight + want.len() < MAX_BADGE_REQUESTS {
                                want.push(entry.key.clone());
                            }
                        }
                    },
                });
                if clicked || table_row.response().clicked() {
                    actions.push(Action::Select(row.id().to_owned()));
                }
                if table_row.response().double_clicked()
                    && let Row::Folder { prefix, .. } = row
                {
                    actions.push(Action::OpenPrefix(prefix.clone()));
                }
            });
        });
    if let Some(by) = clicked_sort {
        view.set_sort(by);
    }
    if !want.is_empty() {
        view.ask_badges(cx.tasks, want);
    }
}
