//! Which files of a folder take part: include and exclude globs over each file's path relative
//! to the folder, written with `/` on every platform (`*` any run of characters, `/` included;
//! `?` one character). With include patterns only matching files take part; an exclude pattern
//! always wins.

use crate::error::{Error, Result};
use crate::s3::bucket::policy::glob_matches;

/// The include and exclude globs of one transfer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl TreeFilter {
    /// Refuses empty patterns, which would match nothing and are always a mistake.
    pub fn new(include: Vec<String>, exclude: Vec<String>) -> Result<Self> {
        if include.iter().chain(&exclude).any(String::is_empty) {
            return Err(Error::InvalidInput(
                "an empty include or exclude pattern matches nothing: give a glob such as *.jpg or photos/*"
                    .to_owned(),
            ));
        }
        Ok(Self { include, exclude })
    }

    /// Whether the file at `rel` (relative, `/`-separated) takes part.
    pub fn admits(&self, rel: &str) -> bool {
        let matches = |patterns: &[String]| patterns.iter().any(|p| glob_matches(p, rel, false));
        (self.include.is_empty() || matches(&self.include)) && !matches(&self.exclude)
    }

    /// True when every file takes part.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> TreeFilter {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        TreeFilter::new(owned(include), owned(exclude)).unwrap()
    }

    #[test]
    fn everything_without_patterns() {
        let f = filter(&[], &[]);
        assert!(f.is_empty());
        assert!(f.admits("a/b/c.txt"));
    }

    #[test]
    fn star_crosses_folders_and_exclude_wins() {
        let f = filter(&["*.jpg"], &["raw/*", "*~"]);
        assert!(f.admits("a.jpg"));
        assert!(f.admits("2024/summer/a.jpg"));
        assert!(!f.admits("a.png"));
        assert!(!f.admits("raw/a.jpg"));
        assert!(!f.admits("a.jpg~"));
        let f = filter(&[], &["*.tmp"]);
        assert!(f.admits("notes.txt"));
        assert!(!f.admits("deep/down/x.tmp"));
    }

    #[test]
    fn question_mark_is_one_character_and_names_are_case_sensitive() {
        let f = filter(&["img?.png"], &[]);
        assert!(f.admits("img1.png"));
        assert!(!f.admits("img10.png"));
        assert!(!f.admits("IMG1.png"));
        assert!(filter(&["dir with space/*"], &[]).admits("dir with space/é.txt"));
    }

    #[test]
    fn empty_patterns_are_refused() {
        assert!(TreeFilter::new(vec![String::new()], vec![]).is_err());
        assert!(TreeFilter::new(vec![], vec![String::new()]).is_err());
    }
}
