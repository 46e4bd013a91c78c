//! Connecting to S3 and KMS the way the aws CLI does: default credential chain, profile,
//! region, endpoints, CA bundle, retries — and the rules that SSE-C keys and KMS data keys
//! never travel over plain HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;

use super::errors::{KmsRefusedOverHttp, SseCRefusedOverHttp};
use super::in_flight::{Concurrency, InFlight, Throttles};
use super::local_keys::KeyAccess;
use crate::error::{Error, Result};
use crate::keys::access_keys::AccessKey;

/// How many times an S3 or KMS call is attempted before a throttling or transient error is
/// reported. The SDK backs off exponentially with jitter between attempts.
const MAX_ATTEMPTS: u32 = 8;

/// Attempts of [`Connection::check`]: a person waits for its answer.
const CHECK_ATTEMPTS: u32 = 2;

/// How long to wait for a TCP (and TLS) connection: the SDK's own default.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// How long one attempt may take from sending a request until the response's headers arrive
/// (the SDK sets none, so a server that accepts a request and never answers would hang s3seal
/// for good). 60 s, as the aws CLI's socket read timeout. A timed-out attempt is retried.
/// A download whose body stops moving is cut sooner by the SDK's stalled-stream protection
/// (no byte for 5 s); an upload whose connection stalls is not (that protection watches the
/// data source, and the fault matrix saw a stalled part wait for the network), so uploads rely
/// on this timeout, stretched for the body ([`timeouts_for_body`]).
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The slowest upload speed a request body is given time for, on top of [`READ_TIMEOUT`],
/// because the SDK's read timeout also runs while the body is being sent: an 8 MiB part gets
/// 60 + 256 s, so with 8 parts in flight an uplink of 2 Mbit/s still gets through, and a dead
/// one is noticed within about 5 minutes (then the part is retried).
const SLOWEST_BODY_RATE: u64 = 32 * 1024;

/// The timeouts of a request that sends `body_len` bytes: the read timeout grows with the
/// body, so that an 8 MiB part on a slow link is not cut off while it is still moving.
pub fn timeouts_for_body(body_len: u64) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT + Duration::from_secs(body_len / SLOWEST_BODY_RATE))
        .build()
}

/// A per-request override carrying [`timeouts_for_body`], for `.customize().config_override(…)`
/// of a request that sends `body_len` bytes (PutObject, UploadPart).
pub fn body_timeouts(body_len: u64) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::new().timeout_config(timeouts_for_body(body_len))
}

/// What the user chose for a connection. `None` means "let the aws-config chain decide".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Named profile from `~/.aws/config` / `~/.aws/credentials`.
    pub profile: Option<String>,
    /// Region, overriding the profile and environment.
    pub region: Option<String>,
    /// Endpoint for S3 and KMS alike (e.g. one LocalStack serving both). Path-style addressing.
    pub endpoint_url: Option<String>,
    /// Endpoint for KMS alone, overriding `endpoint_url` for KMS.
    pub kms_endpoint_url: Option<String>,
    /// PEM bundle of CA certificates to trust instead of the system roots. When `None`,
    /// `AWS_CA_BUNDLE` is used if set, like the aws CLI.
    pub ca_bundle: Option<PathBuf>,
    /// The name of an access key kept by s3seal (secret in the OS keyring) to use instead of
    /// the default credential chain.
    pub access_key: Option<String>,
}

impl ConnectOptions {
    /// The S3 endpoint these options (and the environment) name: the flag, then
    /// `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`. `None`: AWS itself (or a profile's).
    pub fn s3_endpoint(&self) -> Option<String> {
        self.endpoint_url
            .clone()
            .or_else(|| env_non_empty("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env_non_empty("AWS_ENDPOINT_URL"))
    }

    /// Where objects reached with these options live, as keys' homes name it (see
    /// [`Connection::place`]), without connecting.
    pub fn place(&self) -> String {
        self.s3_endpoint()
            .map_or_else(|| "aws".to_owned(), |e| endpoint_host(&e))
    }
}

/// Live S3, KMS, S3 Control and STS clients plus what s3seal needs to know about the transport.
#[derive(Clone, Debug)]
pub struct Connection {
    s3: aws_sdk_s3::Client,
    kms: aws_sdk_kms::Client,
    control: aws_sdk_s3control::Client,
    sts: aws_sdk_sts::Client,
    s3_endpoint: Option<String>,
    kms_endpoint: Option<String>,
    region: Option<String>,
    /// S3's answers asking to slow down, for the windows of requests in flight.
    throttles: Throttles,
    /// The window of the inspections a front end asks for one by one (the browser's badges).
    inspections: Arc<InFlight>,
}

impl Connection {
    /// Connects as `options` say; a named access key is read from the local key store first
    /// (off the async workers). The flow every front end calls.
    pub async fn open(options: &ConnectOptions, keys: &KeyAccess) -> Result<Self> {
        let credentials = match &options.access_key {
            Some(name) => {
                let manager = keys.manager().await?;
                let name = name.clone();
                Some(manager.blocking(move |k| k.access_key(&name)).await?)
            }
            None => None,
        };
        Self::connect_with(options, credentials).await
    }

    /// Resolves configuration like the aws CLI and builds both clients. Performs no network I/O
    /// beyond what the credential chain itself may do lazily later.
    pub async fn connect(options: &ConnectOptions) -> Result<Self> {
        Self::connect_with(options, None).await
    }

    /// Like [`Connection::connect`], with these credentials instead of the default chain.
    pub async fn connect_with(
        options: &ConnectOptions,
        credentials: Option<AccessKey>,
    ) -> Result<Self> {
        let ca_bundle = options.ca_bundle.clone().or_else(ca_bundle_from_env);

        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(timeouts_for_body(0));
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(path) = &ca_bundle {
            loader = loader.http_client(https_client_trusting(path)?);
        }
        if let Some(key) = credentials {
            // The SDK keeps its own copy of the secret for signing; s3seal's is zeroized here.
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                key.access_key_id,
                key.secret.as_str(),
                None,
                None,
                "s3seal-access-key",
            ));
        }
        let sdk_config = loader.load().await;

        let s3_endpoint = options
            .s3_endpoint()
            .or_else(|| sdk_config.endpoint_url().map(str::to_owned));
        let kms_endpoint = options
            .kms_endpoint_url
            .clone()
            .or_else(|| options.endpoint_url.clone())
            .or_else(|| env_non_empty("AWS_ENDPOINT_URL_KMS"))
            .or_else(|| sdk_config.endpoint_url().map(str::to_owned));
        for endpoint in s3_endpoint.iter().chain(kms_endpoint.iter()) {
            validate_endpoint(endpoint)?;
        }

        // A custom endpoint without any region configured is almost always a local server;
        // AWS itself needs the user to say which region.
        let region = sdk_config.region().map(|r| r.to_string()).or_else(|| {
            (s3_endpoint.is_some() || kms_endpoint.is_some()).then(|| "us-east-1".to_owned())
        });
        if region.is_none() {
            return Err(Error::NoRegion);
        }

        let throttles = Throttles::default();
        let mut s3_config = aws_sdk_s3::config::Builder::from(&sdk_config)
            .interceptor(RefuseSseCOverHttp)
            .interceptor(CountThrottles(throttles.clone()))
            // Every body that can carry a checksum does (the SDK's default; with WhenRequired it
            // ignores an operation's checksum_algorithm). Uploads name CRC64NVME themselves.
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenSupported,
            );
        let mut kms_config =
            aws_sdk_kms::config::Builder::from(&sdk_config).interceptor(RefuseKmsDataKeysOverHttp);
        if let Some(region) = &region {
            s3_config = s3_config.region(aws_sdk_s3::config::Region::new(region.clone()));
            kms_config = kms_config.region(aws_sdk_kms::config::Region::new(region.clone()));
        }
        if let Some(endpoint) = &s3_endpoint {
            s3_config = s3_config.endpoint_url(endpoint).force_path_style(true);
        }
        if let Some(endpoint) = &kms_endpoint {
            kms_config = kms_config.endpoint_url(endpoint);
        }

        // S3 Control (Batch Operations) and STS follow the same endpoint unless told otherwise.
        // A custom S3 Control endpoint is used as given: the SDK would put the account id in
        // front of its host name (`ACCOUNT.host`), which only AWS's own names resolve.
        let control_endpoint = env_non_empty("AWS_ENDPOINT_URL_S3_CONTROL")
            .or_else(|| options.endpoint_url.clone())
            .or_else(|| sdk_config.endpoint_url().map(str::to_owned));
        let sts_endpoint = env_non_empty("AWS_ENDPOINT_URL_STS")
            .or_else(|| options.endpoint_url.clone())
            .or_else(|| sdk_config.endpoint_url().map(str::to_owned));
        for endpoint in control_endpoint.iter().chain(sts_endpoint.iter()) {
            validate_endpoint(endpoint)?;
        }
        let mut control_config = aws_sdk_s3control::config::Builder::from(&sdk_config);
        let mut sts_config = aws_sdk_sts::config::Builder::from(&sdk_config);
        if let Some(region) = &region {
            control_config =
                control_config.region(aws_sdk_s3control::config::Region::new(region.clone()));
            sts_config = sts_config.region(aws_sdk_sts::config::Region::new(region.clone()));
        }
        if let Some(endpoint) = control_endpoint {
            control_config = control_config.endpoint_resolver(VerbatimControlEndpoint(endpoint));
        }
        if let Some(endpoint) = &sts_endpoint {
            sts_config = sts_config.endpoint_url(endpoint);
        }

        Ok(Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config.build()),
            kms: aws_sdk_kms::Client::from_conf(kms_config.build()),
            control: aws_sdk_s3control::Client::from_conf(control_config.build()),
            sts: aws_sdk_sts::Client::from_conf(sts_config.build()),
            s3_endpoint,
            kms_endpoint,
            region,
            inspections: InFlight::new(Concurrency::Adaptive, throttles.clone()),
            throttles,
        })
    }

    /// How many S3 responses so far asked to slow down (each attempt counts).
    pub fn throttles(&self) -> &Throttles {
        &self.throttles
    }

    /// The window shared by inspections asked for one at a time on this connection (each row's
    /// badge in a browser), so that together they keep as many requests in flight as the link
    /// rewards, and no more.
    pub fn inspections(&self) -> &Arc<InFlight> {
        &self.inspections
    }

    /// One request (ListBuckets, one bucket at most, few retries) that proves the endpoint
    /// answers and takes these credentials: for a front end that asks before it keeps a
    /// connection. A refusal of the listing itself (AccessDenied) still proves both.
    pub async fn check(&self) -> Result<()> {
        let answer = self
            .s3
            .list_buckets()
            .max_buckets(1)
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::new()
                    .retry_config(RetryConfig::standard().with_max_attempts(CHECK_ATTEMPTS)),
            )
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) => match super::errors::from_sdk("ListBuckets", err) {
                err @ (Error::Connection { .. } | Error::Credentials { .. }) => Err(err),
                _ => Ok(()),
            },
        }
    }

    /// The S3 client.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// The KMS client.
    pub fn kms(&self) -> &aws_sdk_kms::Client {
        &self.kms
    }

    /// The S3 Control client (S3 Batch Operations).
    pub fn control(&self) -> &aws_sdk_s3control::Client {
        &self.control
    }

    /// The STS client (whose account these credentials belong to).
    pub fn sts(&self) -> &aws_sdk_sts::Client {
        &self.sts
    }

    /// The AWS account these credentials belong to (STS GetCallerIdentity).
    pub async fn caller_account(&self) -> Result<String> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| super::errors::from_sdk("GetCallerIdentity", e))?;
        out.account().map(str::to_owned).ok_or_else(|| {
            Error::Internal("GetCallerIdentity answered without an account id".to_owned())
        })
    }

    /// The region requests are signed for, if one is known.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The custom S3 endpoint, if any (`None` means AWS itself, always HTTPS).
    pub fn s3_endpoint(&self) -> Option<&str> {
        self.s3_endpoint.as_deref()
    }

    /// Whether S3 traffic goes over plain HTTP (only when the user gave an `http://` endpoint).
    pub fn is_plain_http(&self) -> bool {
        self.s3_endpoint.as_deref().is_some_and(is_http_url)
    }

    /// Fails with a clear message when SSE-C would travel over plain HTTP. Call before any
    /// SSE-C request; the client also refuses such a request at the transport as a last guard.
    pub fn ensure_sse_c_allowed(&self) -> Result<()> {
        match &self.s3_endpoint {
            Some(endpoint) if is_http_url(endpoint) => Err(Error::SseCOverHttp {
                endpoint: endpoint.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Fails with a clear message when KMS calls that carry plaintext data keys
    /// (GenerateDataKey, Decrypt, Encrypt) would travel over plain HTTP. Call before any of
    /// them; the KMS client also refuses them at the transport as a last guard.
    pub fn ensure_kms_data_keys_allowed(&self) -> Result<()> {
        match &self.kms_endpoint {
            Some(endpoint) if is_http_url(endpoint) => Err(Error::KmsOverHttp {
                endpoint: endpoint.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Where this connection's objects live, for telling keys' homes apart: `aws` for AWS
    /// itself (bucket names are global there), else the custom endpoint's `host[:port]`.
    pub fn place(&self) -> String {
        match &self.s3_endpoint {
            None => "aws".to_owned(),
            Some(endpoint) => endpoint_host(endpoint),
        }
    }
}

/// `host[:port]` of an endpoint URL, lower-cased, without scheme, path or a trailing slash.
pub fn endpoint_host(endpoint: &str) -> String {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit('@').next().unwrap_or(host);
    host.to_ascii_lowercase()
}

fn is_http_url(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

fn env_non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn ca_bundle_from_env() -> Option<PathBuf> {
    env_non_empty("AWS_CA_BUNDLE").map(PathBuf::from)
}

fn validate_endpoint(endpoint: &str) -> Result<()> {
    let lower = endpoint.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "endpoint '{endpoint}' must start with https:// (or http:// for a local test server)"
        )))
    }
}

/// An HTTPS client that trusts exactly the CA certificates in `path`, as the aws CLI does
/// with `--ca-bundle`. The bundle is checked here so a bad file fails now, not at first use.
fn https_client_trusting(
    path: &Path,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;

    let ca_error = |reason: String| Error::CaBundle {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
    let mut count = 0usize;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        cert.map_err(|e| ca_error(format!("not a valid PEM certificate: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(ca_error("it holds no PEM certificate".to_owned()));
    }
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ca_error(e.to_string()))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https())
}

/// A custom S3 Control endpoint, used exactly as given (no `ACCOUNT.` host prefix).
#[derive(Debug)]
struct VerbatimControlEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for VerbatimControlEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_s3control::config::endpoint::Endpoint::builder()
                .url(self.0.trim_end_matches('/').to_owned())
                .build(),
        ))
    }
}

/// Last line of defence: an S3 request that carries SSE-C key headers is stopped before it is
/// transmitted if its URI is plain HTTP. The operations also check earlier, with a clearer
/// message; this guard makes the rule hold for every code path.
#[derive(Debug)]
struct RefuseSseCOverHttp;

/// Headers whose presence means key material is in the request.
const SSE_C_KEY_HEADERS: [&str; 2] = [
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

impl Intercept for RefuseSseCOverHttp {
    fn name(&self) -> &'static str {
        "RefuseSseCOverHttp"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let has_key = SSE_C_KEY_HEADERS
            .iter()
            .any(|h| request.headers().get(*h).is_some());
        if has_key && is_http_url(request.uri()) {
            return Err(Box::new(SseCRefusedOverHttp));
        }
        Ok(())
    }
}

/// Counts the S3 responses that ask the client to slow down (503 SlowDown, 429), every attempt
/// whether or not the SDK retries it, so that bulk operations can take fewer requests in flight.
#[derive(Debug)]
struct CountThrottles(Throttles);

impl Intercept for CountThrottles {
    fn name(&self) -> &'static str {
        "CountThrottles"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(context.response().status().as_u16(), 503 | 429) {
            self.0.record();
        }
        Ok(())
    }
}

/// Last line of defence for KMS: a GenerateDataKey, Decrypt or Encrypt request (each carries
/// or returns a plaintext data key) is stopped before it is transmitted over plain HTTP.
#[derive(Debug)]
struct RefuseKmsDataKeysOverHttp;

/// KMS operations (`X-Amz-Target` values) whose request or response holds a plaintext key.
const KMS_DATA_KEY_TARGETS: [&str; 4] = [
    "TrentService.GenerateDataKey",
    "TrentService.Decrypt",
    "TrentService.Encrypt",
    "TrentService.ReEncrypt",
];

impl aws_sdk_kms::config::Intercept for RefuseKmsDataKeysOverHttp {
    fn name(&self) -> &'static str {
        "RefuseKmsDataKeysOverHttp"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_kms::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_sdk_kms::config::RuntimeComponents,
        _cfg: &mut aws_sdk_kms::config::ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let carries_key = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|t| KMS_DATA_KEY_TARGETS.iter().any(|k| t.starts_with(k)));
        if carries_key && is_http_url(request.uri()) {
            return Err(Box::new(KmsRefusedOverHttp));
        }
        Ok(())
    }
}

/// Shared, cheaply clonable connection handle.
pub type SharedConnection = Arc<Connection>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_detection() {
        assert!(is_http_url("http://127.0.0.1:4566"));
        assert!(is_http_url("HTTP://localhost"));
        assert!(!is_http_url("https://127.0.0.1:4566"));
        assert!(!is_http_url("htt"));
    }

    #[test]
    fn endpoint_must_have_scheme() {
        assert!(validate_endpoint("https://s3.example").is_ok());
        assert!(validate_endpoint("http://127.0.0.1:9000").is_ok());
        let err = validate_endpoint("127.0.0.1:9000").unwrap_err().to_string();
        assert!(err.contains("must start with https://"), "{err}");
    }

    #[test]
    fn ca_bundle_without_certificates_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = https_client_trusting(&path).err().unwrap().to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        let missing = dir.path().join("missing.pem");
        let err = https_client_trusting(&missing).err().unwrap().to_string();
        assert!(err.contains("missing.pem"), "{err}");
    }

    #[tokio::test]
    async fn sse_c_refused_on_http_endpoint() {
        let conn = Connection::connect(&ConnectOptions {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(conn.is_plain_http());
        let err = conn.ensure_sse_c_allowed().unwrap_err().to_string();
        assert!(err.contains("refusing SSE-C over plain HTTP"), "{err}");
        assert_eq!(conn.region(), Some("us-east-1"));
        let err = conn.ensure_kms_data_keys_allowed().unwrap_err().to_string();
        assert!(err.contains("plaintext data key"), "{err}");
        assert_eq!(conn.place(), "127.0.0.1:1");
    }

    #[test]
    fn endpoint_hosts() {
        assert_eq!(
            endpoint_host("https://S3.Example.com:9000/x"),
            "s3.example.com:9000"
        );
        assert_eq!(endpoint_host("http://127.0.0.1:4566"), "127.0.0.1:4566");
        assert_eq!(endpoint_host("https://user@host/"), "host");
    }
}
