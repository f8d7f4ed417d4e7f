//! PostgreSQL, for any number of replicas sharing one database: a pool of
//! connections (r2d2 over the synchronous `postgres` client: the store's
//! callers already run on the blocking pool, and SQLite's side is
//! synchronous too), each keeping its statements prepared. Connections use
//! TLS (rustls) when the server offers it, as the URL's `sslmode` says
//! (`prefer` unless given; `require` insists), with the server's
//! certificate checked against the system's roots and the CA file of the
//! settings.

use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::Statement;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use super::database::{Connection, Database, MIGRATIONS, Row, Value, postgres_dialect};

/// How long a call waits for a connection, and a new connection for the
/// server, before the store reports the database unreachable: short enough
/// that `/readyz` says so within a load balancer's health check, and a LINE
/// webhook still answers within LINE's 2 s.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// A key for `pg_advisory_xact_lock`: replicas starting together migrate one
/// after another.
const MIGRATION_LOCK: i64 = 0x6d61_646f_6775_6368;

/// PostgreSQL behind a pool of connections.
pub struct PostgresDatabase {
    pool: r2d2::Pool<Manager>,
}

impl PostgresDatabase {
    /// Connects to `url` (`postgresql://user:password@host:port/database`)
    /// with at most `connections` connections, and brings the schema up to
    /// date. An unreachable server is an error naming it, without the
    /// password.
    pub fn open(
        url: &str,
        connections: u32,
        ca_file: Option<&Path>,
    ) -> Result<PostgresDatabase, StoreError> {
        let mut config = postgres::Config::from_str(url).map_err(|err| {
            StoreError::Database(format!(
                "store.database_url is not a PostgreSQL URL ({err}); write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            ))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("madoguchi");
        }
        let server = describe(&config);
        let manager = Manager {
            config,
            tls: MakeRustlsConnect::new(tls_config(ca_file)?),
        };
        // One connection first, for an error that says why (the pool keeps
        // only a summary of the last one).
        if let Err(err) = r2d2::ManageConnection::connect(&manager) {
            let why = causes(&err);
            let what_to_do = if why.contains("certificate") || why.contains("TLS") {
                "name the CA certificate of the database server in store.tls_ca_file, or check the URL's sslmode"
            } else {
                "check that the server runs, that it accepts connections from here, and store.database_url"
            };
            return Err(StoreError::Database(format!(
                "cannot connect to PostgreSQL at {server} ({why}); {what_to_do}"
            )));
        }
        let pool = r2d2::Pool::builder()
            .max_size(connections.max(1))
            .min_idle(Some(1))
            // A check on every checkout is a round trip to the server for
            // every call; a connection found broken is dropped anyway
            // (`has_broken`) and the call fails once, as it would have.
            .test_on_check_out(false)
            .connection_timeout(CONNECT_TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)
            .map_err(|err| {
                StoreError::Database(format!(
                    "cannot connect to PostgreSQL at {server} ({err}); check that the server runs, that it accepts connections from here, and store.database_url"
                ))
            })?;
        let database = PostgresDatabase { pool };
        database.migrate()?;
        Ok(database)
    }

    /// Applies the migrations not yet applied, in one transaction, holding
    /// a lock that other replicas starting at the same time wait for.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut connection = self.connect()?;
        super::database::transaction(&mut *connection, |connection| {
            connection.execute(
                "SELECT pg_advisory_xact_lock(?1)",
                &[Value::Int(MIGRATION_LOCK)],
            )?;
            connection.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    BIGINT PRIMARY KEY,
                     name       TEXT NOT NULL,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )?;
            let applied: i64 = connection
                .query_row(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
                    &[],
                )?
                .map_or(Ok(0), |row| row.get(0))?;
            for (number, migration) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
                connection.execute_batch(&postgres_dialect(migration.sql))?;
                connection.execute_batch(migration.postgres_only)?;
                connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                    &[Value::Int(number as i64 + 1), Value::from(migration.name)],
                )?;
            }
            Ok(())
        })
    }
}

/// An error and its causes, `: `-separated.
fn causes(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `host:port/database` of a configuration, for messages.
fn describe(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

impl Database for PostgresDatabase {
    fn kind(&self) -> &'static str {
        "postgresql"
    }

    fn shared(&self) -> bool {
        true
    }

    fn connect(&self) -> Result<Box<dyn Connection + '_>, StoreError> {
        let connection = self
            .pool
            .get()
            .map_err(|err| StoreError::Database(format!("no connection to PostgreSQL: {err}")))?;
        Ok(Box::new(connection))
    }
}

/// TLS as a client: the system's roots, and those in `ca_file` (PEM), the
/// city's own CA for its database server, say.
fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    let (_, _) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = ca_file {
        let unusable = |why: String| {
            StoreError::Database(format!(
                "store.tls_ca_file {}: {why}; name a PEM file with the CA certificate of the database server",
                file.display()
            ))
        };
        let certificates = CertificateDer::pem_file_iter(file)
            .map_err(|err| unusable(err.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| unusable(err.to_string()))?;
        if certificates.is_empty() {
            return Err(unusable("no certificate in it".into()));
        }
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|err| unusable(err.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| StoreError::Database(format!("TLS: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Opens connections for the pool.
struct Manager {
    config: postgres::Config,
    tls: MakeRustlsConnect,
}

/// A connection and the statements prepared on it, by their SQL.
struct Client {
    client: postgres::Client,
    statements: HashMap<String, Statement>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Client;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Client, postgres::Error> {
        Ok(Client {
            client: self.config.connect(self.tls.clone())?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, connection: &mut Client) -> Result<(), postgres::Error> {
        connection.client.simple_query("").map(drop)
    }

    fn has_broken(&self, connection: &mut Client) -> bool {
        connection.client.is_closed()
    }
}

impl Client {
    /// The statement for `sql`, prepared on first use. The store writes
    /// parameters as SQLite's `?1`; PostgreSQL's are `$1`.
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&sql.replace('?', "$"))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

impl Connection for r2d2::PooledConnection<Manager> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, &parameters(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        self.client
            .query(&statement, &parameters(params))?
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|index| row.try_get::<_, Value>(index))
                    .collect::<Result<_, _>>()
                    .map(Row)
                    .map_err(StoreError::from)
            })
            .collect()
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }

    fn count_on_from_largest_id(&mut self, table: &str) -> Result<(), StoreError> {
        self.execute_batch(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                           COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
    }
}

fn parameters(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|value| value as &(dyn ToSql + Sync))
        .collect()
}

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> StoreError {
        // The server's own message (with its detail) says more than the
        // client's summary of it.
        match err.as_db_error() {
            Some(db) => StoreError::Database(format!(
                "PostgreSQL: {}{}",
                db.message(),
                db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            )),
            None => StoreError::Database(format!("PostgreSQL: {err}")),
        }
    }
}

impl ToSql for Value {
    /// Written as the type the server expects for the parameter.
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(value) => match *ty {
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                Type::BOOL => (*value != 0).to_sql(ty, out),
                Type::FLOAT8 => (*value as f64).to_sql(ty, out),
                _ => value.to_sql(ty, out),
            },
            Value::Real(value) => match *ty {
                Type::FLOAT4 => (*value as f32).to_sql(ty, out),
                _ => value.to_sql(ty, out),
            },
            Value::Text(text) => text.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, Box<dyn Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            _ if <&str as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("the store reads no columns of type {ty}").into()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, Box<dyn Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
