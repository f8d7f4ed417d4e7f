//! A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary
//! directory, listening on 127.0.0.1 on a free port, started once per test
//! binary and shared by its tests (each test gets a database of its own).
//! It offers TLS with a certificate for 127.0.0.1 signed by a CA of its own
//! (made with `openssl`); the tests' URLs say `sslmode=disable` unless a
//! test is about TLS.
//! Run as root (as CI is), the cluster runs as `nobody`. It stops, and its
//! directory goes, when the test binary exits: a shell beside it waits for
//! the binary's end of a pipe to close. Tests skip (loudly) where PostgreSQL
//! is not installed, except under CI, where `.ci/run` installs it.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The user the cluster runs as when the tests run as root.
const NOBODY: u32 = 65534;

/// The running cluster: its port, its CA's certificate, and the pipe whose
/// closing stops it.
struct Cluster {
    port: u16,
    ca_file: PathBuf,
    _stop: Mutex<ChildStdin>,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The directory of PostgreSQL's programs: Debian's newest version, else
/// wherever `initdb` is on the path.
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop().or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("initdb").exists()))
    })
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A command that runs as `nobody` when the tests run as root.
fn unprivileged(program: &Path) -> Command {
    let mut command = Command::new(program);
    if running_as_root() {
        command.uid(NOBODY).gid(NOBODY);
    }
    command
}

fn start() -> Option<Cluster> {
    let Some(bin) = binaries() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL is not installed; .ci/run installs Debian's postgresql"
        );
        eprintln!("SKIPPED: PostgreSQL is not installed (apt-get install postgresql)");
        return None;
    };
    let dir = tempfile::Builder::new()
        .prefix("madoguchi-pg-")
        .tempdir()
        .expect("temp dir")
        .keep();
    if running_as_root() {
        std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).expect("chown");
    }
    let data = dir.join("data");
    let initdb = unprivileged(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "madoguchi",
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
        ])
        .output()
        .expect("initdb runs");
    assert!(
        initdb.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&initdb.stderr)
    );
    let (ca_file, certificate, key) = certificates(&dir);
    let port = super::free_port();
    // The shell starts the server, waits for its standard input (our pipe)
    // to close, then stops the server fast and removes the cluster.
    let script = format!(
        "'{postgres}' -D '{data}' -p {port} -c listen_addresses=127.0.0.1 -k '{dir}' \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
         -c ssl=on -c ssl_cert_file='{certificate}' -c ssl_key_file='{key}' & \
         pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf '{dir}'",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        certificate = certificate.display(),
        key = key.display(),
    );
    let mut child = unprivileged(Path::new("/bin/sh"))
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("postgres starts");
    let stop = child.stdin.take().expect("stdin");
    // The server says when it is ready on its log (standard error); the
    // rest of the log is drained so that the server never blocks on it.
    let mut log = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if log.read_line(&mut line).expect("the server's log") == 0 {
            panic!("PostgreSQL stopped before it was ready:\n{seen}");
        }
        seen.push_str(&line);
        if line.contains("ready to accept connections") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut log.take(u64::MAX), &mut std::io::sink()));
    // Reaped should the server stop while the tests still run.
    std::thread::spawn(move || child.wait());
    Some(Cluster {
        port,
        ca_file,
        _stop: Mutex::new(stop),
    })
}

/// A CA, and a server certificate for 127.0.0.1 it signs, in `dir`; the
/// key readable by the server's user only. Returns the CA's certificate,
/// the server's, and its key.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca_key, ca) = (dir.join("ca.key"), dir.join("ca.pem"));
    let (key, request, certificate) = (
        dir.join("server.key"),
        dir.join("server.csr"),
        dir.join("server.pem"),
    );
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        let output = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs (.ci/run installs it)");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    openssl(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-days"),
        os("2"),
        os("-subj"),
        os("/CN=madoguchi test CA"),
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca.as_os_str(),
    ]);
    openssl(&[
        os("req"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-subj"),
        os("/CN=127.0.0.1"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        request.as_os_str(),
    ]);
    openssl(&[
        os("x509"),
        os("-req"),
        os("-in"),
        request.as_os_str(),
        os("-CA"),
        ca.as_os_str(),
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-CAcreateserial"),
        os("-days"),
        os("2"),
        os("-extfile"),
        extensions.as_os_str(),
        os("-out"),
        certificate.as_os_str(),
    ]);
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    if running_as_root() {
        std::os::unix::fs::chown(&key, Some(NOBODY), Some(NOBODY)).unwrap();
        std::os::unix::fs::chown(&certificate, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    (ca, certificate, key)
}

/// The certificate of the CA that signed the cluster's.
pub fn ca_file() -> PathBuf {
    CLUSTER
        .get()
        .and_then(Option::as_ref)
        .expect("the cluster was started")
        .ca_file
        .clone()
}

/// A store on `url`, as a replica opens it.
pub fn store(url: &str) -> madoguchi::store::Store {
    madoguchi::store::Store::open_configured(
        Path::new("unused"),
        &madoguchi::config::StoreSettings {
            database_url: Some(url.to_string()),
            connections: 8,
            tls_ca_file: None,
        },
    )
    .unwrap()
}

/// Sessions on the database of `url` that use TLS.
pub fn encrypted_sessions(url: &str) -> i64 {
    let (server, name) = url.split('?').next().unwrap().rsplit_once('/').unwrap();
    let mut admin =
        postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls).unwrap();
    admin
        .query_one(
            "SELECT COUNT(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
             WHERE a.datname = $1 AND s.ssl",
            &[&name],
        )
        .unwrap()
        .get(0)
}

/// The URL of a new, empty database in the shared cluster; `None` (after
/// saying so) where PostgreSQL is not installed outside CI.
pub fn database() -> Option<String> {
    let cluster = CLUSTER.get_or_init(start).as_ref()?;
    let name = format!(
        "test_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = postgres::Client::connect(
        &format!("postgresql://madoguchi@127.0.0.1:{}/postgres", cluster.port),
        postgres::NoTls,
    )
    .expect("the test cluster takes connections");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    Some(format!(
        "postgresql://madoguchi@127.0.0.1:{}/{name}?sslmode=disable",
        cluster.port
    ))
}
