//! OpenStack Swift: `swift://CONTAINER/PREFIX`.
//!
//! Authentication and the endpoint come from the `openstack` crate's session layer
//! (osauth) plus our TempAuth type; the object requests themselves are plain HTTP on
//! that session's token, because the crate's object API has no conditional PUT, no bulk
//! delete and no way to react to a token that expired mid-run.
//!
//! - `put_if_absent` is `PUT` with `If-None-Match: *`: Swift answers 412 when the object
//!   exists. Not atomic against a concurrent upload of the same name, which is checked
//!   when it starts, not when it commits; callers that need mutual exclusion (locks)
//!   list after writing.
//! - Listing pages through `?marker=`, `PAGE` names at a time.
//! - `delete_many` uses the bulk middleware (`POST ?bulk-delete`) when `/info` says the
//!   cluster has it, else one DELETE per object.
//! - A 401 (token expired or revoked) re-authenticates once and repeats the request.
//! - Uploads carry `ETag: md5`, so Swift refuses a body damaged on the way.

mod auth;

use bytes::Bytes;
use md5::{Digest, Md5};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use reqwest::{Client, Response, StatusCode, Url};
use tokio::sync::OnceCell;

use super::http::{error_chain, runtime, status_error, Download};
use super::{Backend, Error, ObjectInfo, Properties, Result};
pub use auth::Credentials;

/// Bytes escaped in the bulk-delete body: each line is a URL path, so `/` stays.
const PATH_BYTES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Objects per listing page. S3's page size, not Swift's maximum (10,000): a listing
/// costs one request per thousand objects either way within noise, and the same page
/// size on both stores means one conformance test covers the marker loop of both.
const PAGE: usize = 1_000;

/// Swift updates a container's listing as part of an upload, but when a container
/// server is busy the object server queues the update for later (an "async pending")
/// and the upload still succeeds: the object can be read at once and listed only later.
/// Two seconds covers a container server that answers slowly; a cluster known to lag
/// longer under load sets `CAIRN_LISTING_LAG`.
const SWIFT_LISTING_LAG: std::time::Duration = std::time::Duration::from_secs(2);

/// A listing's `last_modified`: UTC without a zone, e.g. `2026-12-04T12:00:00.123450`.
fn listed_time(s: &str) -> Option<std::time::SystemTime> {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(t.and_utc().into())
}

#[derive(Debug)]
pub struct SwiftBackend {
    creds: Credentials,
    client: Client,
    session: OnceCell<osauth::Session>,
    /// Objects per bulk-delete request, 0 when the cluster has no bulk middleware.
    bulk_limit: OnceCell<usize>,
    container: String,
    /// Empty or ending in `/`.
    prefix: String,
    connections: usize,
}

impl SwiftBackend {
    pub fn new(
        container: String,
        prefix: String,
        connections: usize,
    ) -> std::result::Result<SwiftBackend, String> {
        let creds = Credentials::from_env()?;
        let client = auth::client_builder()
            .pool_max_idle_per_host(connections)
            .build()
            .map_err(|e| format!("swift: cannot set up HTTP: {e}"))?;
        Ok(SwiftBackend {
            creds,
            client,
            session: OnceCell::new(),
            bulk_limit: OnceCell::new(),
            container,
            prefix: if prefix.is_empty() {
                prefix
            } else {
                format!("{prefix}/")
            },
            connections,
        })
    }

    fn err(&self, name: &str, cause: impl Into<String>, transient: bool) -> Error {
        let (backend, name, cause) = (self.location(), name.to_string(), cause.into());
        if transient {
            Error::Transient {
                backend,
                name,
                cause,
            }
        } else {
            Error::Permanent {
                backend,
                name,
                cause,
            }
        }
    }

    /// Authentication and catalog failures: refused credentials and bad configuration
    /// are permanent, an unreachable or failing identity service is transient.
    fn auth_err(&self, e: osauth::Error) -> Error {
        use osauth::ErrorKind as K;
        let transient = matches!(
            e.kind(),
            K::ProtocolError | K::InternalServerError | K::OperationTimedOut | K::InvalidResponse
        );
        self.err(
            "",
            format!("authentication ({}): {e}", self.creds.describe()),
            transient,
        )
    }

    async fn session(&self) -> Result<&osauth::Session> {
        self.session
            .get_or_try_init(|| self.creds.session(self.client.clone()))
            .await
            .map_err(|e| self.auth_err(e))
    }

    /// The URL of the account, container or one object.
    async fn url(&self, object: Option<&str>) -> Result<Url> {
        let session = self.session().await?;
        let mut url = session
            .get_endpoint(osauth::services::OBJECT_STORAGE, osauth::client::NO_PATH)
            .await
            .map_err(|e| self.auth_err(e))?;
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|_| self.err("", "the storage URL cannot take a path", false))?;
            segs.pop_if_empty().push(&self.container);
            if let Some(o) = object {
                segs.extend(o.split('/'));
            }
        }
        Ok(url)
    }

    /// Sends a request built by `build` with the current token; on 401 renews the token
    /// once and sends it again.
    async fn send(
        &self,
        name: &str,
        build: impl Fn(&Client) -> reqwest::RequestBuilder,
    ) -> Result<Response> {
        let session = self.session().await?;
        let auth = session.auth_type();
        let mut renewed = false;
        loop {
            let req = auth
                .authenticate(&self.client, build(&self.client))
                .await
                .map_err(|e| self.auth_err(e))?;
            let resp = req.send().await.map_err(|e| self.transport_err(name, &e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                auth.refresh(&self.client)
                    .await
                    .map_err(|e| self.auth_err(e))?;
                continue;
            }
            return Ok(resp);
        }
    }

    fn transport_err(&self, name: &str, e: &reqwest::Error) -> Error {
        let cause = error_chain(e);
        // A request that could not be built is our bug or bad input, not worth retrying.
        self.err(name, cause, !e.is_builder())
    }

    async fn fail(&self, name: &str, resp: Response) -> Error {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        if status == 404 && name.is_empty() {
            return self.err(
                "",
                format!(
                    "container {:?} does not exist (`cairn init` creates it)",
                    self.container
                ),
                false,
            );
        }
        status_error(&self.location(), name, status, &body)
    }

    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn put_object(&self, name: &str, data: &[u8], if_absent: bool) -> Result<bool> {
        let url = self.url(Some(&self.full(name))).await?;
        let body = Bytes::copy_from_slice(data);
        let etag = hex::encode(Md5::digest(data));
        let resp = self
            .send(name, |c| {
                let req = c
                    .put(url.clone())
                    .header("ETag", &etag)
                    .header("Content-Type", "application/octet-stream")
                    // reqwest omits it for an empty body, and Swift answers 411.
                    .header("Content-Length", body.len())
                    .body(body.clone());
                if if_absent {
                    req.header("If-None-Match", "*")
                } else {
                    req
                }
            })
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::PRECONDITION_FAILED if if_absent => Ok(false),
            StatusCode::NOT_FOUND => Err(self.err(
                name,
                format!(
                    "container {:?} does not exist (`cairn init` creates it)",
                    self.container
                ),
                false,
            )),
            StatusCode::UNPROCESSABLE_ENTITY => Err(self.err(
                name,
                "HTTP 422: the store received a body that does not match its checksum",
                true,
            )),
            _ => Err(self.fail(name, resp).await),
        }
    }

    async fn delete_object(&self, name: &str) -> Result<()> {
        let url = self.url(Some(&self.full(name))).await?;
        let resp = self.send(name, |c| c.delete(url.clone())).await?;
        match resp.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            _ => Err(self.fail(name, resp).await),
        }
    }

    async fn bulk_limit(&self) -> usize {
        *self
            .bulk_limit
            .get_or_init(|| async {
                let Ok(mut url) = self.url(None).await else {
                    return 0;
                };
                url.set_path("/info");
                url.set_query(None);
                let info = match self.client.get(url).send().await {
                    Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.ok(),
                    _ => None,
                };
                info.and_then(|i| i["bulk_delete"]["max_deletes_per_request"].as_u64())
                    .map(|n| n.min(1000) as usize)
                    .unwrap_or(0)
            })
            .await
    }

    async fn bulk_delete(&self, names: &[String], limit: usize) -> Result<()> {
        let account = {
            let mut u = self.url(None).await?;
            u.path_segments_mut()
                .map_err(|_| self.err("", "bad storage URL", false))?
                .pop();
            u.set_query(Some("bulk-delete"));
            u
        };
        for batch in names.chunks(limit) {
            let body: String = batch
                .iter()
                .map(|n| {
                    let path = format!("{}/{}", self.container, self.full(n));
                    let encoded = utf8_percent_encode(&path, PATH_BYTES).to_string();
                    encoded + "\n"
                })
                .collect();
            let first = batch[0].as_str();
            let resp = self
                .send(first, |c| {
                    c.post(account.clone())
                        .header("Content-Type", "text/plain")
                        .header("Accept", "application/json")
                        .body(body.clone())
                })
                .await?;
            if !resp.status().is_success() {
                return Err(self.fail(first, resp).await);
            }
            // The middleware answers 200 and reports per-object failures in the body.
            let report: serde_json::Value = resp
                .json()
                .await
                .map_err(|e| self.err(first, format!("bulk delete answer: {e}"), true))?;
            let status = report["Response Status"].as_str().unwrap_or("");
            let errors = report["Errors"].as_array().map(Vec::len).unwrap_or(0);
            if !status.starts_with("200") || errors > 0 {
                let code: u16 = status.get(..3).and_then(|c| c.parse().ok()).unwrap_or(500);
                return Err(status_error(
                    &self.location(),
                    first,
                    code,
                    &format!("bulk delete: {status}, {errors} objects failed"),
                ));
            }
        }
        Ok(())
    }

    fn block<T>(&self, f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        runtime().block_on(f)
    }
}

impl Backend for SwiftBackend {
    fn location(&self) -> String {
        format!("swift://{}/{}", self.container, self.prefix)
            .trim_end_matches('/')
            .to_string()
    }

    /// With the storage URL once a request has authenticated (never before: naming the
    /// place must not cost a request, nor fail).
    fn place(&self) -> super::url::Place {
        let storage = self.session.get().and_then(|s| {
            self.block(async {
                s.get_endpoint(osauth::services::OBJECT_STORAGE, osauth::client::NO_PATH)
                    .await
                    .map_err(|e| self.auth_err(e))
            })
            .ok()
        });
        super::url::Place {
            endpoint: storage.map(|u| super::url::without_userinfo(u.as_str())),
            ..super::url::Place::of_url(&self.location()).expect("a swift:// location parses")
        }
    }

    fn properties(&self) -> Properties {
        Properties {
            connections: self.connections,
            // The object server checks If-None-Match when an upload starts, not when it
            // commits: two concurrent creators can both succeed (seen in
            // tests/conformance.rs). A later creator is refused.
            atomic_put_if_absent: false,
            listing_lag: SWIFT_LISTING_LAG,
        }
    }

    /// Creates the container if it does not exist (PUT on a container is idempotent).
    fn create(&self) -> Result<()> {
        self.block(async {
            let url = self.url(None).await?;
            let resp = self.send("", |c| c.put(url.clone())).await?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(self.fail("", resp).await)
            }
        })
    }

    fn put(&self, name: &str, data: &[u8]) -> Result<()> {
        self.block(self.put_object(name, data, false)).map(|_| ())
    }

    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool> {
        self.block(self.put_object(name, data, true))
    }

    fn get(&self, name: &str) -> Result<Vec<u8>> {
        self.block(async {
            let url = self.url(Some(&self.full(name))).await?;
            let resp = self.send(name, |c| c.get(url.clone())).await?;
            if !resp.status().is_success() {
                return Err(self.fail(name, resp).await);
            }
            let mut body = Download::new(resp.content_length());
            let mut resp = resp;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| self.transport_err(name, &e))?
            {
                body.push(&chunk);
            }
            body.finish(&self.location(), name)
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        #[derive(serde::Deserialize)]
        struct Entry {
            name: String,
            #[serde(default)]
            bytes: u64,
            #[serde(default)]
            last_modified: Option<String>,
        }
        self.block(async {
            let base = self.url(None).await?;
            let full_prefix = self.full(prefix);
            let mut out = Vec::new();
            let mut marker = String::new();
            loop {
                let mut url = base.clone();
                url.query_pairs_mut()
                    .append_pair("format", "json")
                    .append_pair("limit", &PAGE.to_string())
                    .append_pair("prefix", &full_prefix)
                    .append_pair("marker", &marker);
                let resp = self.send(prefix, |c| c.get(url.clone())).await?;
                if !resp.status().is_success() {
                    return Err(self.fail("", resp).await);
                }
                let page: Vec<Entry> = resp
                    .json()
                    .await
                    .map_err(|e| self.err(prefix, format!("listing: {e}"), true))?;
                let Some(last) = page.last() else { break };
                marker = last.name.clone();
                out.extend(page.into_iter().filter_map(|e| {
                    e.name.strip_prefix(&self.prefix).map(|n| ObjectInfo {
                        name: n.to_string(),
                        size: e.bytes,
                        modified: e.last_modified.as_deref().and_then(listed_time),
                    })
                }));
            }
            Ok(out)
        })
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.block(self.delete_object(name))
    }

    fn delete_many(&self, names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        self.block(async {
            match self.bulk_limit().await {
                0 => {
                    for n in names {
                        self.delete_object(n).await?;
                    }
                    Ok(())
                }
                limit => self.bulk_delete(names, limit).await,
            }
        })
    }

    fn exists(&self, name: &str) -> Result<bool> {
        self.block(async {
            let url = self.url(Some(&self.full(name))).await?;
            let resp = self.send(name, |c| c.head(url.clone())).await?;
            match resp.status() {
                s if s.is_success() => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                _ => Err(self.fail(name, resp).await),
            }
        })
    }
}
