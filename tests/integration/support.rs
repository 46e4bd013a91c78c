//! Shared helpers for the integration tests: the real LocalStack (S3 + KMS over HTTPS) and the
//! real Secret Service that `scripts/test-env.sh` starts, and a way to run the s3seal binary
//! against them with a private config dir.

use std::path::{Path, PathBuf};
use std::process::Output;

use s3seal::s3::{ConnectOptions, Connection};

/// Where the test servers are, from the environment `scripts/test-env.sh` sets.
pub struct TestEnv {
    pub endpoint: String,
    pub http_endpoint: String,
    pub ca: PathBuf,
}

pub fn env() -> TestEnv {
    let get = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: run the integration tests through `scripts/test-env.sh cargo test` \
                 (or `scripts/test`), which starts LocalStack over HTTPS and a Secret Service"
            )
        })
    };
    TestEnv {
        endpoint: get("S3SEAL_TEST_ENDPOINT"),
        http_endpoint: get("S3SEAL_TEST_HTTP_ENDPOINT"),
        ca: PathBuf::from(get("S3SEAL_TEST_CA")),
    }
}

/// A config dir of its own (key catalog) plus scratch space, removed at the end of the test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: TestEnv,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            env: env(),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `s3seal ARGS…` over HTTPS to LocalStack, trusting the test CA.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.bare_cmd();
        cmd.args(["--endpoint-url", &self.env.endpoint, "--ca-bundle"])
            .arg(&self.env.ca);
        cmd
    }

    /// `s3seal` with the sandbox's config dir and no connection flags.
    pub fn bare_cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("s3seal").unwrap();
        cmd.env("S3SEAL_CONFIG_DIR", self.config_dir())
            .env_remove("S3SEAL_LOG")
            .env_remove("RUST_LOG");
        cmd
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert_success(&out, args);
        String::from_utf8(out.stdout).unwrap()
    }

    /// `put FILE URI --encryption client --key KEY` and `extra` flags (`--format v2`, …).
    pub fn put_client(&self, file: &Path, uri: &str, key: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "put",
            file.to_str().unwrap(),
            uri,
            "--encryption",
            "client",
            "--key",
            key,
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Runs and requires failure; returns the one-line error on stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "expected `s3seal {}` to fail, it printed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("s3seal: error: "), "stderr: {stderr}");
        assert!(!stderr.contains("panicked"), "stderr: {stderr}");
        stderr
    }

    /// `info --json` parsed.
    pub fn info(&self, uri: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["info", uri, "--json"])).unwrap()
    }

    /// A fresh bucket with a unique name.
    pub fn bucket(&self, tag: &str) -> String {
        let name = format!("s3seal-{tag}-{}", unique());
        self.ok(&["mb", &format!("s3://{name}")]);
        name
    }

    /// A library connection to the same server.
    pub async fn connection(&self) -> Connection {
        Connection::connect(&ConnectOptions {
            endpoint_url: Some(self.env.endpoint.clone()),
            ca_bundle: Some(self.env.ca.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
    }
}

pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "`s3seal {}` failed:\nstdout: {}\nstderr: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sandbox {
    /// A fresh KMS key on the test server; its id.
    pub async fn kms_key(&self) -> String {
        let out = self
            .connection()
            .await
            .kms()
            .create_key()
            .description("s3seal test")
            .send()
            .await
            .unwrap();
        out.key_metadata().unwrap().key_id().to_owned()
    }

    /// A fresh KMS key on the test server with an alias `alias/TAG-…`: the key's id and the
    /// alias.
    pub async fn kms_key_with_alias(&self, tag: &str) -> (String, String) {
        let key = self.kms_key().await;
        let alias = format!("alias/{tag}-{}", unique());
        self.connection()
            .await
            .kms()
            .create_alias()
            .alias_name(&alias)
            .target_key_id(&key)
            .send()
            .await
            .unwrap();
        (key, alias)
    }

    /// `s3seal` with this sandbox's config dir, against `endpoint` (trusting the test CA).
    pub fn cmd_at(&self, endpoint: &str) -> assert_cmd::Command {
        let mut cmd = self.bare_cmd();
        cmd.args(["--endpoint-url", endpoint, "--ca-bundle"])
            .arg(&self.env.ca);
        cmd
    }
}

/// Runs `cmd` and returns (success, stdout, stderr).
pub fn run(mut cmd: assert_cmd::Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Moves a client-side object's envelope out of its metadata into `KEY.instruction`, as the
/// official clients may write it (the object is written again without the envelope).
pub async fn move_envelope_to_instruction_file(conn: &Connection, bucket: &str, key: &str) {
    let got = conn
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let metadata = got.metadata().cloned().unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    let json = serde_json::to_string(&metadata).unwrap();
    for (k, bytes) in [
        (format!("{key}.instruction"), json.into_bytes()),
        (key.to_owned(), body.to_vec()),
    ] {
        conn.s3()
            .put_object()
            .bucket(bucket)
            .key(k)
            .body(bytes.into())
            .send()
            .await
            .unwrap();
    }
}

/// A bucket policy that refuses uploads not encrypted with SSE-KMS (a common real-world rule).
pub fn kms_required_policy(bucket: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyNonKmsUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}
        }]
    })
}

/// Makes a named pipe at `path`: a file no upload can send, whoever runs the test (root reads
/// through any mode bits).
pub fn named_pipe(path: &Path) {
    assert!(
        std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success()
    );
}

/// A short random hex tag for names.
pub fn unique() -> String {
    let mut b = [0u8; 5];
    getrandom::fill(&mut b).unwrap();
    hex::encode(b)
}

/// Writes `len` pseudo-random bytes (seeded, so failures reproduce) to `path`.
pub fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(len);
    std::fs::write(path, &data).unwrap();
    data
}

/// The size of the unnamed (O_TMPFILE) file process `pid` holds open in `dir`, if it has one:
/// a download under way, invisible in the folder.
pub fn unnamed_file_in(pid: u32, dir: &Path) -> Option<u64> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let shown = target.to_string_lossy();
        if shown.starts_with(&*dir.to_string_lossy()) && shown.ends_with("(deleted)") {
            return std::fs::metadata(fd.path()).ok().map(|m| m.len());
        }
    }
    None
}

/// The size of the file a download of process `pid` writes in `dir`: its unnamed file, or the
/// partial file of a resumable (journalled) download.
pub fn download_file_in(pid: u32, dir: &Path) -> Option<u64> {
    unnamed_file_in(pid, dir).or_else(|| {
        temp_leftovers(dir)
            .iter()
            .filter_map(|name| std::fs::metadata(dir.join(name)).ok())
            .map(|m| m.len())
            .max()
    })
}

/// Files in `dir` whose name marks an s3seal temp download.
pub fn temp_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".s3seal-"))
        .collect()
}
