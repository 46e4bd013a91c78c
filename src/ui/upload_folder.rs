//! A folder in the upload dialog: which of its files take part (include and exclude globs,
//! "skip files already there") and, before anything is sent, how many files and bytes that is —
//! counted by the core's [`preview_upload`] off the window's thread, again whenever the folder
//! or the globs change (the stale count is dropped, which cancels it).

use std::path::{Path, PathBuf};

use egui::RichText;

use super::format::human_size;
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Requested;
use super::tasks::Tasks;
use crate::s3::S3Uri;
use crate::transfer::tree::{self, TreeFilter, TreeOptions, UploadPreview, preview_upload};

/// A folder chosen for upload, with what decides which of its files go.
#[derive(Debug)]
pub struct FolderSource {
    pub root: PathBuf,
    /// Globs separated by commas, matched against paths relative to the folder.
    pub include: String,
    pub exclude: String,
    /// Leave out files whose object already holds the same bytes and encryption.
    pub skip_existing: bool,
    /// The count, and the options it was asked for.
    count: Requested<UploadPreview>,
    counted: Option<TreeOptions>,
}

impl FolderSource {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            include: String::new(),
            exclude: String::new(),
            skip_existing: false,
            count: Requested::NotAsked,
            counted: None,
        }
    }

    /// The folder's own name: its files go under it, below the destination prefix.
    pub fn name(&self) -> String {
        folder_name(&self.root)
    }

    /// The prefix the files go to: `prefix` (normalised) followed by the folder's name.
    pub fn dest_prefix(&self, prefix: &str) -> String {
        format!("{prefix}{}/", self.name())
    }

    /// The folder transfer's options from the fields.
    pub fn options(&self) -> crate::Result<TreeOptions> {
        Ok(TreeOptions {
            filter: TreeFilter::new(globs(&self.include), globs(&self.exclude))?,
            skip_existing: self.skip_existing,
            ..TreeOptions::default()
        })
    }

    /// The count for the current options, once it has arrived.
    pub fn counted(&self) -> Option<&UploadPreview> {
        self.count.ready()
    }

    /// Polls the count, and asks for it again when the options changed since.
    fn refresh(&mut self, tasks: &Tasks) {
        self.count.poll();
        let Ok(options) = self.options() else {
            return;
        };
        // Skipping existing files changes nothing in the count: the walk is the same.
        let walked = TreeOptions {
            skip_existing: false,
            ..options
        };
        if self.counted.as_ref() != Some(&walked) {
            let root = self.root.clone();
            let asked = walked.clone();
            self.count =
                Requested::Pending(tasks.run(async move { preview_upload(&root, &asked).await }));
            self.counted = Some(walked);
        }
    }
}

/// A folder's last component, for the prefix and the labels.
fn folder_name(root: &Path) -> String {
    root.file_name().map_or_else(
        || "folder".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// `"*.jpg, raw/*"` → `["*.jpg", "raw/*"]`.
fn globs(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|glob| !glob.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The folder's fields and its count. Returns why the upload cannot start yet, if so.
pub fn folder_source_ui(
    ui: &mut egui::Ui,
    folder: &mut FolderSource,
    dest: &S3Uri,
    tasks: &Tasks,
) -> Option<String> {
    folder.refresh(tasks);
    ui.label(format!(
        "Folder {}, to {}",
        folder.root.display(),
        S3Uri::new(&dest.bucket, tree::folder_prefix(&dest.key))
    ));
    egui::Grid::new("folder-filters")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Include only");
            ui.add(
                egui::TextEdit::singleline(&mut folder.include)
                    .hint_text("*.jpg, photos/*   (empty: every file)")
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Leave out");
            ui.add(
                egui::TextEdit::singleline(&mut folder.exclude)
                    .hint_text("*.tmp, .git/*")
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    ui.checkbox(
        &mut folder.skip_existing,
        "Skip files already there (same content and encryption)",
    );
    if let Err(err) = folder.options() {
        let problem = Problem::from(err);
        problem_ui(ui, &problem);
        return Some(problem.summary);
    }
    match &folder.count {
        Requested::Ready(count) => {
            ui.label(RichText::new(count_text(count)).strong());
            if count.files == 0 {
                return Some("no file of the folder takes part".to_owned());
            }
            None
        }
        Requested::Failed(problem) => {
            problem_ui(ui, problem);
            Some("the folder cannot be read".to_owned())
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Counting the files…").weak());
            });
            Some("the files are still being counted".to_owned())
        }
    }
}

/// "12 files, 3.4 MiB to upload; 1 link left out".
fn count_text(count: &UploadPreview) -> String {
    let mut text = format!(
        "{} file{}, {} to upload",
        count.files,
        if count.files == 1 { "" } else { "s" },
        human_size(count.bytes)
    );
    if count.skipped > 0 {
        text.push_str(&format!(
            "; {} symbolic link{} left out",
            count.skipped,
            if count.skipped == 1 { "" } else { "s" }
        ));
    }
    if count.problems > 0 {
        text.push_str(&format!("; {} cannot be read", count.problems));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_split_on_commas() {
        assert_eq!(globs(" *.jpg, raw/* ,,"), vec!["*.jpg", "raw/*"]);
        assert!(globs("  ").is_empty());
    }

    #[test]
    fn the_count_reads_as_a_sentence() {
        let count = UploadPreview {
            files: 1,
            bytes: 1536,
            skipped: 2,
            problems: 0,
        };
        assert_eq!(
            count_text(&count),
            "1 file, 1.5 KiB to upload; 2 symbolic links left out"
        );
    }
}
