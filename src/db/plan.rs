//! From what the user named (`--postgres URL`…, a profile's `[[database]]`) to the dump
//! sources of a backup: which databases, in which directory, in one snapshot or one per
//! database.

use std::io;
use std::path::PathBuf;

use super::url::DbUrl;
use super::{mongodb, mysql, postgres, DumpSource, Engine};

/// One database source as configured: a server, its databases, a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSpec {
    /// The server; its database, if any, is one of `databases`.
    pub url: DbUrl,
    /// `None`: every database on the server (except `exclude`).
    pub databases: Option<Vec<String>>,
    pub exclude: Vec<String>,
    /// The top-level directory in the snapshot; the engine's name when `None`.
    pub name: Option<String>,
    /// Where the dump tool finds its credentials besides its defaults: a MariaDB/MySQL
    /// option file (`--defaults-extra-file`), a mongodump `--config` file.
    pub option_file: Option<PathBuf>,
    /// PostgreSQL: what of the server-wide objects to dump.
    pub globals: postgres::Globals,
}

impl DbSpec {
    pub fn dir(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.url.engine.name().to_string())
    }
}

/// Groups URLs as given on the command line by server: `--postgres …/app --postgres
/// …/shop` is one source of two databases, and a URL without a database makes its
/// server's source cover every database. With more than one server each gets a
/// directory named for it (`postgresql-db1-5432`), as one directory cannot hold two.
pub fn specs_from_urls(urls: &[DbUrl], exclude: &[String]) -> Vec<DbSpec> {
    let mut specs: Vec<DbSpec> = Vec::new();
    for url in urls {
        let server = url.with_database(None);
        let spec = match specs.iter_mut().find(|s| s.url == server) {
            Some(s) => s,
            None => {
                specs.push(DbSpec {
                    url: server,
                    databases: Some(Vec::new()),
                    exclude: exclude.to_vec(),
                    name: None,
                    option_file: None,
                    globals: postgres::Globals::All,
                });
                specs.last_mut().expect("just pushed")
            }
        };
        match (&url.database, &mut spec.databases) {
            (None, dbs) => *dbs = None,
            (Some(d), Some(dbs)) if !dbs.contains(d) => dbs.push(d.clone()),
            _ => {}
        }
    }
    // Directories are named for the engine, so only servers of one engine collide.
    let engines: Vec<Engine> = specs.iter().map(|s| s.url.engine).collect();
    for s in &mut specs {
        if engines.iter().filter(|&&e| e == s.url.engine).count() > 1 {
            s.name = Some(server_dir(&s.url));
        }
        if s.databases.is_some() {
            s.exclude.clear();
        }
    }
    specs
}

/// `postgresql-db1-5432`: a directory name for a server, safe in any file system.
fn server_dir(url: &DbUrl) -> String {
    let mut s = url.engine.name().to_string();
    for part in [url.host.clone(), url.port.map(|p| p.to_string())]
        .into_iter()
        .flatten()
    {
        s.push('-');
        s.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
                c
            } else {
                '_'
            }
        }));
    }
    s
}

/// The databases a spec covers on its server as it is now.
fn databases(spec: &DbSpec, url: &DbUrl) -> io::Result<Vec<String>> {
    let dbs = match &spec.databases {
        Some(d) => d.clone(),
        None => match url.engine {
            Engine::Postgresql => postgres::list_databases(url)?,
            Engine::Mysql => mysql::Connection::new(url, spec.option_file.as_deref())
                .map_err(io::Error::other)?
                .list_databases()?,
            Engine::Mongodb => {
                return Err(io::Error::other(format!(
                    "{}: name each MongoDB database (mongodb://HOST/DB, repeatable); \
                     listing a server's databases needs mongosh, which takes passwords \
                     only on its command line",
                    url.server()
                )))
            }
        },
    };
    Ok(dbs
        .into_iter()
        .filter(|d| !spec.exclude.contains(d))
        .collect())
}

fn source(spec: &DbSpec, url: &DbUrl, dbs: Vec<String>) -> io::Result<Box<dyn DumpSource>> {
    match url.engine {
        Engine::Postgresql => Ok(Box::new(postgres::PgSource::new(
            spec.dir(),
            url,
            dbs,
            spec.globals,
        ))),
        Engine::Mysql => Ok(Box::new(mysql::MysqlSource::new(
            spec.dir(),
            url,
            dbs,
            spec.option_file.as_deref(),
        )?)),
        Engine::Mongodb => Ok(Box::new(mongodb::MongoSource::new(
            spec.dir(),
            url,
            dbs,
            spec.option_file.as_deref(),
        )?)),
    }
}

/// The programs a source of `engine` runs.
pub fn tools(engine: Engine) -> &'static [&'static str] {
    match engine {
        Engine::Postgresql => &["psql", "pg_dump", "pg_dumpall"],
        Engine::Mysql => match mysql::Tools::find().dump {
            "mariadb-dump" => &["mariadb", "mariadb-dump"],
            _ => &["mysql", "mysqldump"],
        },
        Engine::Mongodb => &["mongodump"],
    }
}

/// The server a URL's tools will talk to, named in full (host and port from the
/// engine's variables where the URL has none).
pub fn resolve_url(url: &DbUrl) -> DbUrl {
    match url.engine {
        Engine::Postgresql => postgres::resolve(url),
        Engine::Mysql => mysql::resolve(url),
        Engine::Mongodb => url.clone(),
    }
}

fn resolve(spec: &DbSpec) -> DbUrl {
    resolve_url(&spec.url)
}

/// For `profile check`: connects, and says which databases a run would dump where.
pub fn probe(spec: &DbSpec) -> io::Result<String> {
    let url = resolve(spec);
    let present = match url.engine {
        Engine::Postgresql => {
            let dbs = postgres::list_databases(&url)?;
            postgres::check_globals(&url, spec.globals)?;
            dbs
        }
        Engine::Mysql => mysql::Connection::new(&url, spec.option_file.as_deref())
            .map_err(io::Error::other)?
            .list_databases()?,
        Engine::Mongodb => {
            // Asking needs mongosh, which takes passwords only in its argv.
            let dbs = databases(spec, &url)?;
            return Ok(format!(
                "not contacted (cairn has no MongoDB client to ask); dumps {} into {}/",
                dbs.join(", "),
                spec.dir()
            ));
        }
    };
    if let Some(missing) = spec
        .databases
        .iter()
        .flatten()
        .find(|d| !present.contains(d))
    {
        return Err(io::Error::other(format!(
            "no database {missing:?} on {} (there: {})",
            url.server(),
            present.join(", ")
        )));
    }
    let dbs = databases(spec, &url)?;
    Ok(format!(
        "reachable; dumps {} into {}/",
        dbs.join(", "),
        spec.dir()
    ))
}

/// The sources of a backup. With `per_database`, each inner list is one snapshot's
/// (one database, with its server's globals); otherwise there is one list for all.
pub fn sources(specs: &[DbSpec], per_database: bool) -> io::Result<Vec<Vec<Box<dyn DumpSource>>>> {
    let mut one = Vec::new();
    let mut each = Vec::new();
    for spec in specs {
        let url = resolve(spec);
        let dbs = databases(spec, &url)?;
        if dbs.is_empty() {
            return Err(io::Error::other(format!(
                "no database to back up on {}",
                url.server()
            )));
        }
        if per_database {
            for d in dbs {
                each.push(vec![source(spec, &url, vec![d])?]);
            }
        } else {
            one.push(source(spec, &url, dbs)?);
        }
    }
    Ok(if per_database { each } else { vec![one] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> DbUrl {
        DbUrl::parse(s).unwrap()
    }

    #[test]
    fn urls_of_one_server_make_one_source() {
        let specs = specs_from_urls(
            &[
                url("postgresql://b@db1:5432/app"),
                url("postgresql://b@db1:5432/shop"),
                url("postgresql://b@db1:5432/app"),
            ],
            &[],
        );
        assert_eq!(specs.len(), 1);
        assert_eq!(
            specs[0].databases,
            Some(vec!["app".to_string(), "shop".to_string()])
        );
        assert_eq!(specs[0].dir(), "postgresql");
    }

    #[test]
    fn a_url_without_database_means_all_and_servers_get_their_own_directory() {
        let specs = specs_from_urls(
            &[
                url("postgresql://db1:5432/app"),
                url("postgresql://db1:5432/"),
                url("postgresql://[::1]/x"),
            ],
            &["scratch".to_string()],
        );
        assert_eq!(specs[0].databases, None);
        assert_eq!(specs[0].exclude, vec!["scratch".to_string()]);
        assert_eq!(specs[0].dir(), "postgresql-db1-5432");
        assert_eq!(specs[1].dir(), "postgresql-__1");
        assert!(specs[1].exclude.is_empty());
    }

    #[test]
    fn one_server_per_engine_keeps_the_engine_name_as_directory() {
        let specs = specs_from_urls(
            &[
                url("postgresql://db1:5432/app"),
                url("mysql://db2:3306/shop"),
                url("mongodb://db3/events"),
            ],
            &[],
        );
        let dirs: Vec<String> = specs.iter().map(DbSpec::dir).collect();
        assert_eq!(dirs, ["postgresql", "mysql", "mongodb"]);
    }
}
