//! S3 and S3-compatible stores: `s3://BUCKET/PREFIX`.
//!
//! Credentials, region and profiles come from the AWS SDK's standard chain (environment,
//! `~/.aws/config` and `credentials` with `AWS_PROFILE`, assume-role profiles, web
//! identity, container and instance metadata). Differences between S3 implementations
//! are settings with defaults that work on all we test (AWS semantics, Swift's s3api):
//!
//! - request checksums only where an operation requires them, plus our own Content-MD5
//!   on uploads and DeleteObjects: Swift's s3api refuses the SDK's default streaming
//!   (aws-chunked) checksums with 501 and DeleteObjects without Content-MD5 with 400;
//! - path-style addressing when a custom endpoint is given (most self-hosted stores
//!   have no wildcard DNS for virtual-hosted buckets);
//! - `put_if_absent` sends `If-None-Match: *`; a store that answers 501 to it gets a
//!   HEAD-then-PUT fallback (not atomic, reported by `properties`), as does
//!   `--s3-conditional-put off` for stores known to ignore the header;
//! - the SDK's own retries are off: the one retry wrapper of all backends retries and
//!   reports each attempt.

use std::sync::atomic::{AtomicBool, Ordering};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier, ServerSideEncryption,
    StorageClass,
};
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls;
use base64::Engine;
use futures::StreamExt;
use md5::{Digest, Md5};

use super::http::{runtime, status_error, Download, CONNECT_TIMEOUT, READ_TIMEOUT};
use super::{Backend, Error, ObjectInfo, Properties, Result};

/// Object store settings that differ between S3 implementations and deployments.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// A custom endpoint (Ceph RGW, MinIO, Swift s3api…); the SDK also reads
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3` itself.
    pub endpoint: Option<String>,
    /// `None`: path-style exactly when a custom endpoint is configured.
    pub path_style: Option<bool>,
    pub storage_class: Option<String>,
    /// `AES256` or `aws:kms`.
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    pub conditional_put: bool,
    /// Objects at least this large go up in parts.
    pub multipart_threshold: usize,
    pub part_size: usize,
}

impl Default for S3Options {
    fn default() -> S3Options {
        S3Options {
            endpoint: None,
            path_style: None,
            storage_class: None,
            sse: None,
            sse_kms_key_id: None,
            conditional_put: true,
            multipart_threshold: 32 << 20,
            part_size: 16 << 20,
        }
    }
}

/// S3's smallest part but the last.
pub const MIN_PART: usize = 5 << 20;

#[derive(Debug)]
pub struct S3Backend {
    client: Client,
    bucket: String,
    /// Empty or ending in `/`.
    prefix: String,
    opts: S3Options,
    connections: usize,
    /// Cleared when the store turned out not to support conditional PUT.
    conditional: AtomicBool,
    /// A custom endpoint, as configured (flag, profile or the SDK's environment).
    endpoint: Option<String>,
}

type SdkErr<E> = SdkError<E, aws_sdk_s3::config::http::HttpResponse>;

impl S3Backend {
    pub fn new(
        bucket: String,
        prefix: String,
        opts: S3Options,
        connections: usize,
    ) -> std::result::Result<S3Backend, String> {
        if let Some(sse) = opts.sse.as_deref() {
            if !matches!(sse, "AES256" | "aws:kms" | "aws:kms:dsse") {
                return Err(format!(
                    "--s3-sse {sse:?}: expected AES256, aws:kms or aws:kms:dsse"
                ));
            }
        }
        if opts.part_size < MIN_PART {
            return Err("S3 parts must be at least 5 MiB".into());
        }
        let (client, endpoint) = runtime().block_on(client(&opts));
        Ok(S3Backend {
            client,
            bucket,
            prefix: if prefix.is_empty() {
                prefix
            } else {
                format!("{prefix}/")
            },
            conditional: AtomicBool::new(opts.conditional_put),
            endpoint,
            opts,
            connections,
        })
    }

    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn err<E>(&self, name: &str, e: SdkErr<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let backend = self.location();
        let transient = |cause: String| Error::Transient {
            backend: backend.clone(),
            name: name.to_string(),
            cause,
        };
        let permanent = |cause: String| Error::Permanent {
            backend: backend.clone(),
            name: name.to_string(),
            cause,
        };
        match &e {
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                let code = ctx.err().code().unwrap_or("");
                let msg = ctx.err().message().unwrap_or("");
                match code {
                    "NoSuchBucket" => permanent(format!(
                        "bucket {:?} does not exist (`cairn init` creates it)",
                        self.bucket
                    )),
                    "SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable" => {
                        transient(format!("HTTP {status}: {code}: {msg}"))
                    }
                    _ => status_error(&backend, name, status, format!("{code} {msg}").trim()),
                }
            }
            SdkError::TimeoutError(_) => transient("timed out".into()),
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
                transient(DisplayErrorContext(&e).to_string())
            }
            SdkError::ResponseError(_) => transient(DisplayErrorContext(&e).to_string()),
            _ => permanent(DisplayErrorContext(&e).to_string()),
        }
    }

    fn storage_class(&self) -> Option<StorageClass> {
        self.opts.storage_class.as_deref().map(StorageClass::from)
    }

    fn sse(&self) -> Option<ServerSideEncryption> {
        self.opts.sse.as_deref().map(ServerSideEncryption::from)
    }

    async fn put_object(&self, name: &str, data: &[u8], if_absent: bool) -> Result<bool> {
        let key = self.full(name);
        if data.len() >= self.opts.multipart_threshold {
            return self.put_multipart(name, &key, data, if_absent).await;
        }
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_md5(md5_b64(data))
            .body(ByteStream::from(data.to_vec()))
            .set_storage_class(self.storage_class())
            .set_server_side_encryption(self.sse())
            .set_ssekms_key_id(self.opts.sse_kms_key_id.clone());
        if if_absent {
            req = req.if_none_match("*");
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) => self.conditional_outcome(name, if_absent, e),
        }
    }

    /// 412 to a conditional request means "exists"; anything else is an error.
    fn conditional_outcome<E>(&self, name: &str, if_absent: bool, e: SdkErr<E>) -> Result<bool>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = e.raw_response().map(|r| r.status().as_u16());
        if if_absent && status == Some(412) {
            return Ok(false);
        }
        if if_absent && status == Some(501) {
            self.conditional.store(false, Ordering::Relaxed);
            crate::ui::warn(&format!(
                "{}: the store does not support conditional PUT; falling back to \
                 check-then-put (use --s3-conditional-put off to skip the attempt)",
                self.location()
            ));
            // put_if_absent sees the cleared flag and falls back at once.
            return Err(Error::Transient {
                backend: self.location(),
                name: name.into(),
                cause: "conditional PUT not implemented".into(),
            });
        }
        Err(self.err(name, e))
    }

    async fn put_multipart(
        &self,
        name: &str,
        key: &str,
        data: &[u8],
        if_absent: bool,
    ) -> Result<bool> {
        let create = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_storage_class(self.storage_class())
            .set_server_side_encryption(self.sse())
            .set_ssekms_key_id(self.opts.sse_kms_key_id.clone());
        let upload = create.send().await.map_err(|e| self.err(name, e))?;
        let id = upload.upload_id().unwrap_or_default().to_string();
        let result = self.upload_parts(name, key, &id, data, if_absent).await;
        if !matches!(result, Ok(true)) {
            // Parts of an unfinished upload are billed until aborted.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        name: &str,
        key: &str,
        id: &str,
        data: &[u8],
        if_absent: bool,
    ) -> Result<bool> {
        let uploads = data
            .chunks(self.opts.part_size)
            .enumerate()
            .map(|(i, part)| async move {
                let n = i as i32 + 1;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(id)
                    .part_number(n)
                    .content_md5(md5_b64(part))
                    .body(ByteStream::from(part.to_vec()))
                    .send()
                    .await
                    .map_err(|e| self.err(name, e))?;
                Ok::<_, Error>(
                    CompletedPart::builder()
                        .part_number(n)
                        .set_e_tag(out.e_tag().map(String::from))
                        .build(),
                )
            });
        // A few parts at a time: enough to fill a link, few enough to bound memory.
        let parts: Vec<CompletedPart> = futures::stream::iter(uploads)
            .buffered(4)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        let mut complete = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        if if_absent {
            complete = complete.if_none_match("*");
        }
        match complete.send().await {
            Ok(_) => Ok(true),
            Err(e) => self.conditional_outcome(name, if_absent, e),
        }
    }

    async fn head(&self, name: &str) -> Result<bool> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full(name))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) => Err(self.err(name, e)),
        }
    }
}

/// The client, with the custom endpoint it uses if any.
async fn client(opts: &S3Options) -> (Client, Option<String>) {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(READ_TIMEOUT)
                .build(),
        );
    if let Some(ep) = &opts.endpoint {
        loader = loader.endpoint_url(ep);
    }
    let shared = loader.load().await;
    let endpoint = opts
        .endpoint
        .clone()
        .or_else(|| shared.endpoint_url().map(String::from));
    let custom_endpoint = endpoint.is_some();
    let mut conf = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(opts.path_style.unwrap_or(custom_endpoint))
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if shared.region().is_none() {
        // Self-hosted stores rarely care; AWS itself redirects a wrong region loudly.
        conf = conf.region(Region::new("us-east-1"));
    }
    (Client::from_conf(conf.build()), endpoint)
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

impl Backend for S3Backend {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
            .trim_end_matches('/')
            .to_string()
    }

    fn place(&self) -> super::url::Place {
        super::url::Place {
            endpoint: self.endpoint.as_deref().map(super::url::without_userinfo),
            region: self.client.config().region().map(|r| r.to_string()),
            ..super::url::Place::of_url(&self.location()).expect("an s3:// location parses")
        }
    }

    fn properties(&self) -> Properties {
        Properties {
            connections: self.connections,
            atomic_put_if_absent: self.conditional.load(Ordering::Relaxed),
            // Listings are strongly consistent on AWS since December 2020, and on
            // MinIO and Ceph's RGW, which update the bucket index with the write.
            listing_lag: std::time::Duration::ZERO,
        }
    }

    /// Creates the bucket unless it exists and is ours.
    fn create(&self) -> Result<()> {
        runtime().block_on(async {
            match self
                .client
                .create_bucket()
                .bucket(&self.bucket)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e)
                    if matches!(
                        e.code(),
                        Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists")
                    ) =>
                {
                    // BucketAlreadyExists may be someone else's: the first write says so.
                    Ok(())
                }
                Err(e) => Err(self.err("", e)),
            }
        })
    }

    fn put(&self, name: &str, data: &[u8]) -> Result<()> {
        runtime()
            .block_on(self.put_object(name, data, false))
            .map(|_| ())
    }

    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool> {
        runtime().block_on(async {
            if self.conditional.load(Ordering::Relaxed) {
                match self.put_object(name, data, true).await {
                    // The store has just answered 501: fall back below, now, rather
                    // than through a retry delay.
                    Err(_) if !self.conditional.load(Ordering::Relaxed) => {}
                    outcome => return outcome,
                }
            }
            if self.head(name).await? {
                return Ok(false);
            }
            self.put_object(name, data, false).await
        })
    }

    fn get(&self, name: &str) -> Result<Vec<u8>> {
        runtime().block_on(async {
            let out = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(self.full(name))
                .send()
                .await
                .map_err(|e| self.err(name, e))?;
            let mut body = Download::new(out.content_length().and_then(|n| u64::try_from(n).ok()));
            let mut stream = out.body;
            while let Some(chunk) = stream.try_next().await.map_err(|e| Error::Transient {
                backend: self.location(),
                name: name.into(),
                cause: format!("download interrupted: {e}"),
            })? {
                body.push(&chunk);
            }
            body.finish(&self.location(), name)
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        runtime().block_on(async {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(self.full(prefix))
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| self.err(prefix, e))?;
                out.extend(page.contents().iter().filter_map(|o| {
                    let name = o.key()?.strip_prefix(&self.prefix)?;
                    Some(ObjectInfo {
                        name: name.to_string(),
                        size: o.size().unwrap_or(0).max(0) as u64,
                        modified: o
                            .last_modified()
                            .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                    })
                }));
                match page.next_continuation_token() {
                    Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                    _ => break,
                }
            }
            Ok(out)
        })
    }

    fn delete(&self, name: &str) -> Result<()> {
        runtime().block_on(async {
            match self
                .client
                .delete_object()
                .bucket(&self.bucket)
                .key(self.full(name))
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(()),
                Err(e) => Err(self.err(name, e)),
            }
        })
    }

    /// DeleteObjects, 1000 keys per request (S3's limit).
    fn delete_many(&self, names: &[String]) -> Result<()> {
        runtime().block_on(async {
            for batch in names.chunks(1000) {
                let ids = batch
                    .iter()
                    .map(|n| ObjectIdentifier::builder().key(self.full(n)).build())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Error::Permanent {
                        backend: self.location(),
                        name: batch[0].clone(),
                        cause: e.to_string(),
                    })?;
                let delete = Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(true)
                    .build()
                    .map_err(|e| Error::Permanent {
                        backend: self.location(),
                        name: batch[0].clone(),
                        cause: e.to_string(),
                    })?;
                let out = self
                    .client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete)
                    .customize()
                    .mutate_request(|req| {
                        if let Some(body) = req.body().bytes() {
                            let md5 = md5_b64(body);
                            req.headers_mut().insert("Content-MD5", md5);
                        }
                    })
                    .send()
                    .await
                    .map_err(|e| self.err(&batch[0], e))?;
                if let Some(failed) = out.errors().first() {
                    let name = failed.key().unwrap_or_default();
                    let name = name.strip_prefix(&self.prefix).unwrap_or(name);
                    return Err(Error::Transient {
                        backend: self.location(),
                        name: name.to_string(),
                        cause: format!(
                            "{} of {} deletions failed: {} {}",
                            out.errors().len(),
                            batch.len(),
                            failed.code().unwrap_or(""),
                            failed.message().unwrap_or("")
                        ),
                    });
                }
            }
            Ok(())
        })
    }

    fn exists(&self, name: &str) -> Result<bool> {
        runtime().block_on(self.head(name))
    }
}
