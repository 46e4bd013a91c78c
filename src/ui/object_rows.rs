//! The rows of the objects table (a folder or an object, with its badge) and the order they are
//! shown in: folders first, then the sort column, then the name; a page that arrives is merged
//! into the order, not sorted with every row again.

use std::collections::HashMap;

use super::badges::Badge;
use super::remedy::Problem;
use super::request::Request;
use crate::s3::inspect::ObjectInfo;
use crate::s3::listing::ObjectEntry;

/// A folder (common prefix) or an object.
#[derive(Clone, Debug)]
pub enum Row {
    Folder { prefix: String, name: String },
    Object { entry: ObjectEntry, name: String },
}

impl Row {
    /// The object key or folder prefix: what selection refers to.
    pub fn id(&self) -> &str {
        match self {
            Self::Folder { prefix, .. } => prefix,
            Self::Object { entry, .. } => &entry.key,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Folder { name, .. } | Self::Object { name, .. } => name,
        }
    }

    pub(super) fn size(&self) -> u64 {
        match self {
            Self::Folder { .. } => 0,
            Self::Object { entry, .. } => entry.size,
        }
    }

    pub(super) fn modified(&self) -> &str {
        match self {
            Self::Folder { .. } => "",
            Self::Object { entry, .. } => entry.last_modified.as_deref().unwrap_or(""),
        }
    }
}

/// Sortable columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Size,
    Modified,
    Encryption,
}

/// A badge: asked, or what HEAD said for the ETag it saw.
#[derive(Debug)]
pub enum BadgeEntry {
    Asked(Request<ObjectInfo>),
    Known { badge: Badge, etag: Option<String> },
    Failed(Problem),
}

/// How rows are ordered for display: folders first, then by the sort column, then by name.
pub(super) struct Order<'a> {
    pub rows: &'a [Row],
    pub badges: &'a HashMap<String, BadgeEntry>,
    pub sort: SortBy,
    pub ascending: bool,
}

impl Order<'_> {
    fn badge_key(&self, row: &Row) -> String {
        match row {
            Row::Object { entry, .. } => match self.badges.get(&entry.key) {
                Some(BadgeEntry::Known { badge, .. }) => badge.label(),
                _ => String::new(),
            },
            Row::Folder { .. } => String::new(),
        }
    }

    pub fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let (ra, rb) = (&self.rows[a], &self.rows[b]);
        let folder_first = matches!(rb, Row::Folder { .. }).cmp(&matches!(ra, Row::Folder { .. }));
        let by = match self.sort {
            SortBy::Name => ra.name().cmp(rb.name()),
            SortBy::Size => ra.size().cmp(&rb.size()),
            SortBy::Modified => ra.modified().cmp(rb.modified()),
            SortBy::Encryption => self.badge_key(ra).cmp(&self.badge_key(rb)),
        };
        let by = if self.ascending { by } else { by.reverse() };
        folder_first.then(by).then_with(|| ra.name().cmp(rb.name()))
    }
}

/// Two sorted runs as one; once either is used up, the rest of the other is copied whole.
pub(super) fn merge(
    old: &[usize],
    new: &[usize],
    compare: impl Fn(usize, usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        if compare(new[j], old[i]).is_lt() {
            out.push(new[j]);
            j += 1;
        } else {
            out.push(old[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&old[i..]);
    out.extend_from_slice(&new[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str, size: u64) -> Row {
        Row::Object {
            entry: ObjectEntry {
                key: format!("p/{name}"),
                size,
                last_modified: None,
                etag: None,
                storage_class: None,
            },
            name: name.to_owned(),
        }
    }

    #[test]
    fn merging_pages_gives_the_order_a_full_sort_gives() {
        let rows = vec![
            Row::Folder {
                prefix: "p/z/".into(),
                name: "z/".into(),
            },
            object("b", 5),
            object("d", 1),
        ];
        let badges = HashMap::new();
        for (sort, ascending) in [
            (SortBy::Name, true),
            (SortBy::Name, false),
            (SortBy::Size, true),
        ] {
            let mut all = rows.clone();
            all.extend([object("a", 9), object("c", 3), object("e", 0)]);
            let order_of = Order {
                rows: &all,
                badges: &badges,
                sort,
                ascending,
            };
            let mut full: Vec<usize> = (0..all.len()).collect();
            full.sort_by(|&a, &b| order_of.compare(a, b));
            let mut old: Vec<usize> = (0..3).collect();
            old.sort_by(|&a, &b| order_of.compare(a, b));
            let mut new: Vec<usize> = (3..6).collect();
            new.sort_by(|&a, &b| order_of.compare(a, b));
            let merged = merge(&old, &new, |a, b| order_of.compare(a, b));
            assert_eq!(merged, full, "{sort:?} ascending={ascending}");
            // The folder stays first whatever the column.
            assert_eq!(merged[0], 0);
        }
    }
}
