//! One fault case's world: a bucket of its own, a config dir (keys, transfer journal) of its
//! own, files to send, and the checks every case ends with — the object's bytes, files left in
//! a folder, incomplete uploads left in the bucket, the transfer journal left behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use s3seal::s3::{ConnectOptions, Connection};

use super::run::{Ran, run, s3seal};
use crate::support::{random_file, unique};

/// How long any one s3seal run may take before the case counts it as hung.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(240);

/// The servers every case uses.
pub struct Ctx {
    pub dir: tempfile::TempDir,
    pub endpoint: String,
    pub ca: PathBuf,
    /// LocalStack's port (HTTPS and HTTP on the same one).
    pub port: u16,
    pub rt: tokio::runtime::Runtime,
    pub conn: Connection,
}

impl Ctx {
    pub fn new() -> Self {
        let env = crate::support::env();
        let port = env
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let conn = rt
            .block_on(Connection::connect(&ConnectOptions {
                endpoint_url: Some(env.endpoint.clone()),
                ca_bundle: Some(env.ca.clone()),
                ..Default::default()
            }))
            .unwrap();
        Self {
            dir: tempfile::tempdir().unwrap(),
            endpoint: env.endpoint,
            ca: env.ca,
            port,
            rt,
            conn,
        }
    }
}

/// Encryption of a case, as `put` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Default,
    SseS3,
    SseKms,
    SseC,
    Client,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::SseS3 => "sse-s3",
            Self::SseKms => "sse-kms",
            Self::SseC => "sse-c",
            Self::Client => "client",
        }
    }
}

pub struct Scene<'a> {
    pub ctx: &'a Ctx,
    pub bucket: String,
    pub config: PathBuf,
    pub work: PathBuf,
}

impl<'a> Scene<'a> {
    pub fn new(ctx: &'a Ctx, name: &str) -> Self {
        let tag = unique();
        let work = ctx.dir.path().join(format!("{name}-{tag}"));
        std::fs::create_dir_all(&work).unwrap();
        let bucket = format!("fault-{}-{tag}", name.len());
        ctx.rt
            .block_on(ctx.conn.s3().create_bucket().bucket(&bucket).send())
            .unwrap();
        Self {
            ctx,
            bucket,
            config: work.join("config"),
            work,
        }
    }

    /// `s3seal` against `endpoint` with this scene's config dir.
    pub fn cmd(&self, endpoint: &str) -> Command {
        s3seal(&self.config, endpoint, &self.ctx.ca)
    }

    /// `s3seal` straight to LocalStack.
    pub fn direct(&self) -> Command {
        self.cmd(&self.ctx.endpoint)
    }

    /// Runs `args` straight to LocalStack and requires success.
    pub fn ok(&self, args: &[&str]) -> String {
        let ran = run(self.direct().args(args), RUN_TIMEOUT, None);
        assert!(ran.ok(), "`s3seal {}`: {}", args.join(" "), ran.describe());
        ran.stdout
    }

    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// A file of `len` seeded random bytes in the scene's folder.
    pub fn file(&self, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
        let path = self.work.join(name);
        let data = random_file(&path, len, len as u64 ^ name.len() as u64);
        (path, data)
    }

    /// An empty folder for downloads.
    pub fn folder(&self, name: &str) -> PathBuf {
        let path = self.work.join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// The `put` flags of `mode`, creating the local key it needs.
    pub fn mode_args(&self, mode: Mode) -> Vec<String> {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect();
        match mode {
            Mode::Default => Vec::new(),
            Mode::SseS3 => s(&["--encryption", "sse-s3"]),
            Mode::SseKms => s(&["--encryption", "sse-kms"]),
            Mode::SseC => {
                self.key("fault-ssec", "sse-c");
                s(&["--encryption", "sse-c", "--key", "fault-ssec"])
            }
            Mode::Client => {
                self.key("fault-client", "client");
                s(&["--encryption", "client", "--key", "fault-client"])
            }
        }
    }

    fn key(&self, name: &str, kind: &str) {
        let listed = self.ok(&["keys", "list", "--json"]);
        if !listed.contains(&format!("\"{name}\"")) {
            self.ok(&["keys", "new", name, "--kind", kind]);
        }
        if kind == "sse-c" {
            // Uploads go through a proxy (another endpoint); reads straight to LocalStack send
            // the key only to its home, so the bucket there is made one.
            self.home_at(&self.ctx.endpoint, name);
        }
    }

    /// Makes this scene's bucket, as seen at `endpoint`, a home of the SSE-C key `name`: the
    /// key is sent only to its homes, and a proxy or peer is another endpoint.
    pub fn home_at(&self, endpoint: &str, name: &str) {
        let ran = run(
            self.cmd(endpoint)
                .args(["keys", "homes", name, "--add", &self.uri("")]),
            RUN_TIMEOUT,
            None,
        );
        assert!(ran.ok(), "keys homes {name}: {}", ran.describe());
    }

    /// Uploads `path` to `key` straight to LocalStack.
    pub fn put_direct(&self, path: &Path, key: &str, mode: Mode) {
        let mut args = vec!["put".to_owned(), path.display().to_string(), self.uri(key)];
        args.extend(self.mode_args(mode));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&args);
    }

    /// Whether the object reads back (straight from LocalStack) as exactly `expected`.
    pub fn object_is(&self, key: &str, expected: &[u8]) -> bool {
        self.read_back(key).is_ok_and(|got| got == expected)
    }

    /// The object's bytes as `s3seal get` (straight from LocalStack) delivers them, or why not.
    /// A get refused because the object changed while it was read (the server still finishing
    /// a copy a killed process asked for) is run again, as its message says to.
    pub fn read_back(&self, key: &str) -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir_in(&self.work).unwrap();
        let dest = dir.path().join("check.bin");
        let mut tries = 0;
        loop {
            tries += 1;
            let ran = run(
                self.direct().args(["get", &self.uri(key)]).arg(&dest),
                RUN_TIMEOUT,
                None,
            );
            if ran.ok() {
                return std::fs::read(&dest).map_err(|e| e.to_string());
            }
            // LocalStack may still be carrying out the copy a killed client asked for (AWS
            // makes it atomic; LocalStack is seen answering for a moment as if the object were
            // SSE-C under another key, then whole under the new one): ask again, as for an
            // object that changed while it was read.
            let transient = ran
                .stderr
                .contains("changed on the server while it was being read")
                || ran.stderr.contains("no local key fits");
            if tries >= 3 || !transient {
                return Err(ran.describe());
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }

    /// Incomplete multipart uploads left in the bucket.
    pub fn orphans(&self) -> usize {
        let out = self
            .ctx
            .rt
            .block_on(
                self.ctx
                    .conn
                    .s3()
                    .list_multipart_uploads()
                    .bucket(&self.bucket)
                    .send(),
            )
            .unwrap();
        out.uploads().len()
    }

    /// The object's size as listed (a HEAD would need an SSE-C object's key); `None`: no
    /// such object.
    pub fn listed_size(&self, key: &str) -> Option<i64> {
        let listed = self
            .ctx
            .rt
            .block_on(
                self.ctx
                    .conn
                    .s3()
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(key)
                    .send(),
            )
            .unwrap();
        listed
            .contents()
            .iter()
            .find(|c| c.key() == Some(key))
            .and_then(|c| c.size())
    }

    /// Whether the object exists.
    pub fn exists(&self, key: &str) -> bool {
        self.listed_size(key).is_some()
    }

    /// A `size`-byte object `obj` stored in `mode`, and an empty folder to download it into:
    /// `(its bytes, the folder, the destination file in it)`.
    pub fn stored_object(&self, size: usize, mode: Mode) -> (Vec<u8>, PathBuf, PathBuf) {
        let (path, data) = self.file("src.bin", size);
        self.put_direct(&path, "obj", mode);
        let folder = self.folder("downloads");
        let dest = folder.join("out.bin");
        (data, folder, dest)
    }

    /// Starts an upload of `key` with one part of `len` bytes, as another tool would leave it;
    /// returns its upload id.
    pub fn leave_incomplete(&self, key: &str, len: usize) -> String {
        let s3 = self.ctx.conn.s3();
        self.ctx.rt.block_on(async {
            let id = s3
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .unwrap()
                .upload_id()
                .unwrap()
                .to_owned();
            s3.upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&id)
                .part_number(1)
                .body(vec![7u8; len].into())
                .send()
                .await
                .unwrap();
            id
        })
    }

    /// The checks every upload case ends with: the object holds `expected`, no upload is open,
    /// the journal is empty.
    pub fn settle(&self, report: &mut super::matrix::Report, key: &str, expected: &[u8]) {
        report.corrupt = !self.object_is(key, expected);
        report.orphans = self.orphans();
        report.leftovers = self.journal_files();
    }

    /// Files in a download folder that should not be there: anything but the destination
    /// `out.bin` and a partial file the journal keeps for an interrupted download to continue.
    pub fn stray_files(&self, folder: &Path) -> Vec<String> {
        let kept: Vec<String> = names_in(&self.config.join("transfers"))
            .iter()
            .filter(|n| n.ends_with(".json"))
            .filter_map(|n| std::fs::read(self.config.join("transfers").join(n)).ok())
            .filter_map(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
            .filter_map(|v| {
                let partial = v["transfer"]["state"]["partial"].as_str()?;
                Some(
                    Path::new(partial)
                        .file_name()?
                        .to_string_lossy()
                        .into_owned(),
                )
            })
            .collect();
        names_in(folder)
            .into_iter()
            .filter(|n| n != "out.bin" && !kept.contains(n))
            .collect()
    }

    /// Files in the transfer journal (every entry gone once transfers end well).
    pub fn journal_files(&self) -> Vec<String> {
        names_in(&self.config.join("transfers"))
    }

    /// Asserts that no upload is left open on S3 and no entry in the journal.
    pub fn assert_nothing_left(&self) {
        assert_eq!(self.orphans(), 0, "uploads left open");
        let left = self.journal_files();
        assert!(left.is_empty(), "journal entries left: {left:?}");
    }
}

/// The names in a folder (none if it does not exist).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Runs a put of `path` to `key` in `mode` against `endpoint`.
pub fn put(
    scene: &Scene<'_>,
    endpoint: &str,
    path: &Path,
    key: &str,
    mode: Mode,
    kill_when: Option<&dyn Fn() -> bool>,
) -> Ran {
    let mut cmd = scene.cmd(endpoint);
    cmd.arg("put").arg(path).arg(scene.uri(key));
    cmd.args(scene.mode_args(mode));
    run(&mut cmd, RUN_TIMEOUT, kill_when)
}

/// Runs a get of `key` into `dest` against `endpoint`.
pub fn get(
    scene: &Scene<'_>,
    endpoint: &str,
    key: &str,
    dest: &Path,
    kill_when: Option<&dyn Fn() -> bool>,
) -> Ran {
    let mut cmd = scene.cmd(endpoint);
    cmd.args(["get", &scene.uri(key)]).arg(dest);
    run(&mut cmd, RUN_TIMEOUT, kill_when)
}
