//! A real nginx on a free loopback port, proxying to one or more servers, as
//! a city puts one in front of madoguchi. Tests that need it skip (loudly)
//! where nginx is not installed, except under CI, where `.ci/run` installs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running nginx; stopped when dropped.
pub struct Nginx {
    pub address: SocketAddr,
    child: Child,
    binary: PathBuf,
    upstreams: Vec<SocketAddr>,
    dir: tempfile::TempDir,
}

/// Where Debian installs nginx.
fn binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl Nginx {
    /// nginx listening on 127.0.0.1, forwarding to `upstreams` round robin
    /// with the client's address in `X-Forwarded-For`; `None` (after saying
    /// so) when nginx is not installed outside CI.
    pub fn start(upstreams: &[SocketAddr]) -> Option<Nginx> {
        let Some(binary) = binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "nginx is not installed; .ci/run installs Debian's nginx"
            );
            eprintln!("SKIPPED: nginx is not installed (apt-get install nginx)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let address: SocketAddr = format!("127.0.0.1:{}", super::free_port())
            .parse()
            .expect("address");
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config(dir.path(), address, upstreams, &[]))
            .expect("nginx.conf");
        let child = Command::new(&binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx starts");
        wait_for_port(address, dir.path());
        Some(Nginx {
            address,
            child,
            binary,
            upstreams: upstreams.to_vec(),
            dir,
        })
    }

    /// Sends no new requests to the upstreams in `down` (as an operator
    /// marks a replica `down` to upgrade it), and returns once the workers
    /// of the old configuration have finished their requests and are gone.
    pub fn reload_with_down(&self, down: &[SocketAddr]) {
        let config_path = self.dir.path().join("nginx.conf");
        std::fs::write(
            &config_path,
            config(self.dir.path(), self.address, &self.upstreams, down),
        )
        .expect("nginx.conf");
        let workers = || -> Vec<u32> {
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.child.id()))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect()
        };
        let old = workers();
        let reloaded = Command::new(&self.binary)
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(&config_path)
            .args(["-s", "reload"])
            .status()
            .expect("nginx -s reload");
        assert!(reloaded.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = workers();
            if !now.is_empty() && now.iter().all(|pid| !old.contains(pid)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx's old workers {old:?} are still there: {now:?}"
            );
            std::thread::yield_now();
        }
    }
}

/// The configuration: listening on `address`, forwarding to `upstreams`
/// round robin (but those `down`), with the client's address in
/// `X-Forwarded-For`.
fn config(
    dir: &Path,
    address: SocketAddr,
    upstreams: &[SocketAddr],
    down: &[SocketAddr],
) -> String {
    let servers: String = upstreams
        .iter()
        .map(|a| {
            let state = if down.contains(a) { " down" } else { "" };
            format!("        server {a} max_fails=1 fail_timeout=2s{state};\n")
        })
        .collect();
    let root = dir.display();
    format!(
        "daemon off;\nworker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n    access_log off;\n    client_body_temp_path {root}/body;\n    proxy_temp_path {root}/proxy;\n\
             fastcgi_temp_path {root}/fastcgi;\n    uwsgi_temp_path {root}/uwsgi;\n    scgi_temp_path {root}/scgi;\n\
             upstream madoguchi {{\n{servers}        keepalive 16;\n    }}\n\
             server {{\n        listen {address};\n        location / {{\n\
             proxy_pass http://madoguchi;\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n\
             proxy_set_header Host $host;\n            proxy_set_header X-Forwarded-For $remote_addr;\n\
             proxy_next_upstream error timeout;\n        }}\n    }}\n}}\n"
    )
}

/// Waits until something accepts connections on `address`.
fn wait_for_port(address: SocketAddr, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::yield_now();
    }
}

impl Drop for Nginx {
    /// A fast shutdown (SIGTERM): the master stops its workers too, which
    /// SIGKILL would leave running.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
