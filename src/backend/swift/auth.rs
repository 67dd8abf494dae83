//! Swift credentials as operators already have them, with no cairn-specific file:
//!
//! - TempAuth v1 (`ST_AUTH`, `ST_USER`, `ST_KEY`, python-swiftclient's names);
//! - Keystone v3 from an openrc file's `OS_*` variables (password, token or application
//!   credential);
//! - `OS_CLOUD` naming an entry of clouds.yaml (osauth's search path, or the file
//!   `OS_CLIENT_CONFIG_FILE` names, as openstacksdk does).
//!
//! Every source becomes one clouds.yaml-shaped JSON value, and one function turns that
//! into an osauth `AuthType`: that way openrc and clouds.yaml cannot drift apart, and
//! the session gets our HTTP client with its timeouts (osauth's own has none).

use std::sync::RwLock;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use osauth::common::IdOrName;
use osauth::identity::{ApplicationCredential, Password, Scope, Token};
use osauth::{AuthType, EndpointFilters, Error, ErrorKind, InterfaceType, NoAuth, Session};
use reqwest::{Client, RequestBuilder, Url};
use serde_json::{json, Map, Value};

use crate::secret::Secret;

/// Where the credentials come from, decided from the environment when the repository is
/// opened; the network is touched only at the first request.
#[derive(Debug, Clone)]
pub enum Credentials {
    TempAuth {
        url: String,
        user: String,
        key: Secret,
    },
    /// A clouds.yaml-shaped entry, with where it came from for messages.
    Cloud { config: CloudEntry, source: String },
}

/// A clouds.yaml entry whose Debug output hides every value (passwords, secrets).
#[derive(Clone)]
pub struct CloudEntry(Value);

impl std::fmt::Debug for CloudEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloudEntry(***)")
    }
}

const HOW: &str = "set ST_AUTH/ST_USER/ST_KEY (TempAuth), source an openrc file (OS_AUTH_URL, \
                   OS_USERNAME, OS_PASSWORD, …) or set OS_CLOUD (clouds.yaml)";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Credentials {
    pub fn from_env() -> Result<Credentials, String> {
        if let Some(url) = var("ST_AUTH") {
            let user = var("ST_USER").ok_or("ST_AUTH is set but ST_USER is not")?;
            let key = var("ST_KEY").ok_or("ST_AUTH is set but ST_KEY is not")?;
            return Ok(Credentials::TempAuth {
                url,
                user,
                key: Secret::new(key),
            });
        }
        if let Some(cloud) = var("OS_CLOUD") {
            return cloud_from_file(&cloud);
        }
        if var("OS_AUTH_URL").is_some() || var("OS_AUTH_TYPE").is_some() {
            return Ok(Credentials::Cloud {
                config: CloudEntry(entry_from_env()?),
                source: "OS_* variables".into(),
            });
        }
        Err(format!("no Swift credentials: {HOW}"))
    }

    pub fn describe(&self) -> String {
        match self {
            Credentials::TempAuth { url, .. } => format!("TempAuth at {url}"),
            Credentials::Cloud { source, .. } => source.clone(),
        }
    }

    /// Authenticates and returns a session whose requests carry the token.
    pub async fn session(&self, client: Client) -> Result<Session, Error> {
        match self {
            Credentials::TempAuth { url, user, key } => {
                let auth = TempAuth::new(url, user, key.clone())?;
                Session::new_with_client(client, auth).await
            }
            Credentials::Cloud { config, .. } => cloud_session(&config.0, client).await,
        }
    }
}

/// An openrc file's variables as a clouds.yaml entry. osauth reads these itself too, but
/// not `OS_USER_DOMAIN_ID`, which many openrc files set instead of the name.
fn entry_from_env() -> Result<Value, String> {
    let mut auth = Map::new();
    for (var_name, key) in [
        ("OS_AUTH_URL", "auth_url"),
        ("OS_ENDPOINT", "endpoint"),
        ("OS_USERNAME", "username"),
        ("OS_USER_ID", "user_id"),
        ("OS_PASSWORD", "password"),
        ("OS_TOKEN", "token"),
        ("OS_PROJECT_ID", "project_id"),
        ("OS_PROJECT_NAME", "project_name"),
        ("OS_TENANT_ID", "project_id"),
        ("OS_TENANT_NAME", "project_name"),
        ("OS_PROJECT_DOMAIN_ID", "project_domain_id"),
        ("OS_PROJECT_DOMAIN_NAME", "project_domain_name"),
        ("OS_USER_DOMAIN_NAME", "user_domain_name"),
        ("OS_USER_DOMAIN_ID", "user_domain_id"),
        ("OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"),
        (
            "OS_APPLICATION_CREDENTIAL_NAME",
            "application_credential_name",
        ),
        (
            "OS_APPLICATION_CREDENTIAL_SECRET",
            "application_credential_secret",
        ),
    ] {
        if let Some(v) = var(var_name) {
            auth.entry(key).or_insert(Value::String(v));
        }
    }
    let mut entry = json!({ "auth": auth });
    for (var_name, key) in [
        ("OS_AUTH_TYPE", "auth_type"),
        ("OS_REGION_NAME", "region_name"),
        ("OS_INTERFACE", "interface"),
        ("OS_ENDPOINT_TYPE", "interface"),
        ("OS_CACERT", "cacert"),
        ("OS_STORAGE_URL", "object_store_endpoint_override"),
    ] {
        if let Some(v) = var(var_name) {
            entry[key] = Value::String(v);
        }
    }
    Ok(entry)
}

/// `OS_CLOUD`: the entry from `OS_CLIENT_CONFIG_FILE` when set, else from osauth's
/// search (./clouds.yaml, ~/.config/openstack/, /etc/openstack/, with clouds-public.yaml
/// profiles and secure.yaml merged in).
fn cloud_from_file(cloud: &str) -> Result<Credentials, String> {
    let (config, source) = if let Some(file) = var("OS_CLIENT_CONFIG_FILE") {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("OS_CLIENT_CONFIG_FILE {file}: {e}"))?;
        let doc: Value = serde_yaml::from_str(&text)
            .map_err(|e| format!("OS_CLIENT_CONFIG_FILE {file}: not valid YAML: {e}"))?;
        let entry = doc
            .get("clouds")
            .and_then(|c| c.get(cloud))
            .cloned()
            .ok_or_else(|| format!("OS_CLIENT_CONFIG_FILE {file}: no cloud named {cloud:?}"))?;
        (entry, format!("cloud {cloud:?} in {file}"))
    } else {
        let config = osauth::CloudConfig::from_config(cloud)
            .map_err(|e| format!("OS_CLOUD={cloud}: {e}"))?;
        let entry = serde_json::to_value(config).map_err(|e| e.to_string())?;
        (entry, format!("cloud {cloud:?} in clouds.yaml"))
    };
    Ok(Credentials::Cloud {
        config: CloudEntry(config),
        source,
    })
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, msg.into())
}

fn project_scope(auth: &Value) -> Option<Scope> {
    let project = field(auth, "project_id")
        .map(IdOrName::from_id)
        .or_else(|| field(auth, "project_name").map(IdOrName::from_name))?;
    let domain = field(auth, "project_domain_id")
        .map(IdOrName::from_id)
        .or_else(|| field(auth, "project_domain_name").map(IdOrName::from_name))
        .unwrap_or_else(|| IdOrName::from_name("Default"));
    Some(Scope::Project {
        project,
        domain: Some(domain),
    })
}

/// osauth names the user's domain only by name. The id `default` is the name `Default`
/// in every Keystone (bootstrap creates it so); any other id cannot be expressed.
fn user_domain(auth: &Value) -> Result<String, Error> {
    match (
        field(auth, "user_domain_name"),
        field(auth, "user_domain_id"),
    ) {
        (Some(name), _) => Ok(name.to_string()),
        (None, None) | (None, Some("default")) => Ok("Default".into()),
        (None, Some(_)) => Err(invalid(
            "OS_USER_DOMAIN_ID is supported only as 'default'; set OS_USER_DOMAIN_NAME instead",
        )),
    }
}

async fn cloud_session(entry: &Value, client: Client) -> Result<Session, Error> {
    let empty = json!({});
    let auth = entry.get("auth").unwrap_or(&empty);
    let require = |key: &str, what: &str| {
        field(auth, key)
            .map(String::from)
            .ok_or_else(|| invalid(format!("Keystone authentication needs {what}")))
    };
    let auth_type = field(entry, "auth_type")
        .map(String::from)
        .unwrap_or_else(|| {
            if field(auth, "application_credential_secret").is_some() {
                "v3applicationcredential".into()
            } else if field(auth, "token").is_some() {
                "v3token".into()
            } else {
                "password".into()
            }
        });
    let auth_url = || require("auth_url", "OS_AUTH_URL");
    let scoped = |a: &mut dyn FnMut(Scope)| {
        if let Some(scope) = project_scope(auth) {
            a(scope);
        }
    };
    let client = match field(entry, "cacert") {
        Some(path) => with_ca(path)?,
        None => client,
    };
    let mut session = match auth_type.as_str() {
        "password" | "v3password" => {
            let mut id = Password::new(
                auth_url()?,
                require("username", "OS_USERNAME")?,
                require("password", "OS_PASSWORD")?,
                user_domain(auth)?,
            )?;
            scoped(&mut |s| id.set_scope(s));
            Session::new_with_client(client, id).await?
        }
        "token" | "v3token" => {
            let mut id = Token::new(auth_url()?, require("token", "OS_TOKEN")?)?;
            scoped(&mut |s| id.set_scope(s));
            Session::new_with_client(client, id).await?
        }
        "v3applicationcredential" => {
            let secret = require(
                "application_credential_secret",
                "OS_APPLICATION_CREDENTIAL_SECRET",
            )?;
            let id = match field(auth, "application_credential_id") {
                Some(id) => ApplicationCredential::new(auth_url()?, id, secret)?,
                None => ApplicationCredential::with_user_id(
                    auth_url()?,
                    require(
                        "user_id",
                        "OS_USER_ID (with an application credential name)",
                    )?,
                    require(
                        "application_credential_name",
                        "OS_APPLICATION_CREDENTIAL_ID or _NAME",
                    )?,
                    secret,
                )?,
            };
            Session::new_with_client(client, id).await?
        }
        "none" | "noauth" => {
            let endpoint = field(auth, "endpoint")
                .or_else(|| field(entry, "object_store_endpoint_override"))
                .ok_or_else(|| invalid("auth type none needs OS_ENDPOINT"))?;
            Session::new_with_client(client, NoAuth::new(endpoint)?).await?
        }
        other => {
            return Err(invalid(format!(
                "unsupported OS_AUTH_TYPE {other:?} (supported: password, v3token, \
                 v3applicationcredential, none; or TempAuth through ST_AUTH)"
            )))
        }
    };
    if let Some(region) = field(entry, "region_name") {
        session.set_region(region);
    }
    if let Some(interface) = field(entry, "interface") {
        let interface: InterfaceType = interface.trim_end_matches("URL").parse().map_err(|_| {
            invalid(format!(
                "OS_INTERFACE {interface:?} is not public, internal or admin"
            ))
        })?;
        session.set_endpoint_interface(interface);
    }
    if let Some(url) = field(entry, "object_store_endpoint_override") {
        let url = Url::parse(url).map_err(|e| invalid(format!("object store endpoint: {e}")))?;
        session.set_endpoint_override(osauth::services::OBJECT_STORAGE, url);
    }
    Ok(session)
}

/// The HTTP client with the timeouts every Swift request gets.
pub fn client_builder() -> reqwest::ClientBuilder {
    Client::builder()
        .connect_timeout(super::super::http::CONNECT_TIMEOUT)
        .read_timeout(super::super::http::READ_TIMEOUT)
}

fn with_ca(path: &str) -> Result<Client, Error> {
    let pem = std::fs::read(path).map_err(|e| invalid(format!("OS_CACERT {path}: {e}")))?;
    let cert = reqwest::Certificate::from_pem(&pem)
        .map_err(|e| invalid(format!("OS_CACERT {path}: not a PEM certificate: {e}")))?;
    client_builder()
        .add_root_certificate(cert)
        .build()
        .map_err(|e| invalid(e.to_string()))
}

/// Swift's own v1 authentication (the tempauth/swauth middlewares): one GET with the
/// user and key returns a token and the storage URL. osauth has no such type, so this
/// is ours; the token is renewed shortly before it expires and whenever Swift answers
/// 401 (the backend calls `refresh`).
#[derive(Debug)]
struct TempAuth {
    url: Url,
    user: String,
    key: Secret,
    state: RwLock<Option<TempToken>>,
}

#[derive(Debug, Clone)]
struct TempToken {
    token: Secret,
    storage: Url,
    expires: Option<Instant>,
}

/// Renew this long before the expiry Swift announced, so a request never carries a
/// token that dies on the way.
const RENEW_BEFORE: Duration = Duration::from_secs(30);

impl TempAuth {
    fn new(url: &str, user: &str, key: Secret) -> Result<TempAuth, Error> {
        Ok(TempAuth {
            url: Url::parse(url).map_err(|e| invalid(format!("ST_AUTH: {e}")))?,
            user: user.into(),
            key,
            state: RwLock::new(None),
        })
    }

    async fn current(&self, client: &Client) -> Result<TempToken, Error> {
        let live = self.state.read().unwrap().clone().filter(|t| {
            t.expires
                .is_none_or(|e| e.saturating_duration_since(Instant::now()) > RENEW_BEFORE)
        });
        match live {
            Some(t) => Ok(t),
            None => {
                self.refresh(client).await?;
                Ok(self.state.read().unwrap().clone().expect("token just set"))
            }
        }
    }
}

#[async_trait]
impl AuthType for TempAuth {
    async fn authenticate(
        &self,
        client: &Client,
        request: RequestBuilder,
    ) -> Result<RequestBuilder, Error> {
        let t = self.current(client).await?;
        Ok(request.header("X-Auth-Token", t.token.expose()))
    }

    async fn get_endpoint(
        &self,
        client: &Client,
        _service_type: &str,
        _filters: &EndpointFilters,
    ) -> Result<Url, Error> {
        Ok(self.current(client).await?.storage)
    }

    async fn refresh(&self, client: &Client) -> Result<(), Error> {
        let resp = client
            .get(self.url.clone())
            .header("X-Auth-User", &self.user)
            .header("X-Auth-Key", self.key.expose())
            .send()
            .await?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::new(
                ErrorKind::from(status),
                format!(
                    "TempAuth at {} refused user {:?} (HTTP {status})",
                    self.url, self.user
                ),
            ));
        }
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let missing =
            |n: &str| Error::new(ErrorKind::InvalidResponse, format!("TempAuth gave no {n}"));
        let token = header("x-auth-token").ok_or_else(|| missing("X-Auth-Token"))?;
        let storage = header("x-storage-url").ok_or_else(|| missing("X-Storage-Url"))?;
        let storage = Url::parse(&storage)
            .map_err(|e| Error::new(ErrorKind::InvalidResponse, format!("X-Storage-Url: {e}")))?;
        let expires = header("x-auth-token-expires")
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map(|secs| Instant::now() + Duration::from_secs_f64(secs.max(0.0)));
        *self.state.write().unwrap() = Some(TempToken {
            token: Secret::new(token),
            storage,
            expires,
        });
        Ok(())
    }
}
