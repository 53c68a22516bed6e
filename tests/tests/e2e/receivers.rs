//! Real receivers on loopback for alert notifications: an HTTP server
//! recording what it accepts (standing in for a webhook endpoint, Slack or
//! PagerDuty; it can fail its first requests), and a real SMTP server
//! (Python aiosmtpd, `tests/clients/python/smtp_sink.py`). Each is stopped
//! when dropped, so a failing test leaves nothing running.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::harness::{free_port, python, repo_root};

// --- An HTTP receiver -------------------------------------------------------

#[derive(Clone)]
pub struct Recorded {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Default)]
struct RecorderState {
    /// Requests answered 500 before any is accepted.
    fail_first: usize,
    seen: AtomicUsize,
    accepted: Mutex<Vec<Recorded>>,
}

/// An HTTP server on a free loopback port recording what it accepts;
/// stopped when dropped.
pub struct Recorder {
    pub addr: SocketAddr,
    state: Arc<RecorderState>,
    task: JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    pub async fn start(fail_first: usize) -> Self {
        let state = Arc::new(RecorderState {
            fail_first,
            ..RecorderState::default()
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn accepted(&self) -> Vec<Recorded> {
        self.state.accepted.lock().expect("lock").clone()
    }

    pub fn seen(&self) -> usize {
        self.state.seen.load(Ordering::SeqCst)
    }

    pub fn json(&self, index: usize) -> Value {
        serde_json::from_slice(&self.accepted()[index].body).expect("JSON body")
    }
}

async fn record(
    State(state): State<Arc<RecorderState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let n = state.seen.fetch_add(1, Ordering::SeqCst);
    if n < state.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    state
        .accepted
        .lock()
        .expect("lock")
        .push(Recorded { headers, body });
    StatusCode::ACCEPTED
}

// --- The SMTP server --------------------------------------------------------

/// aiosmtpd on a free loopback port, writing each message to `dir`;
/// killed when dropped (and it exits by itself when its stdin closes).
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    pub fn start(auth: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let script: PathBuf = repo_root().join("tests/clients/python/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string(), "--auth", auth])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smtp_sink.py (is aiosmtpd installed? `make venv`)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        let _ = BufReader::new(stdout).read_line(&mut line);
        let sink = Self { child, port, dir };
        assert_eq!(line.trim(), "ready", "smtp_sink.py did not start");
        sink
    }

    /// Messages received so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let mut found: Vec<(u64, Value)> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let n = name.strip_suffix(".json")?.parse().ok()?;
                let text = std::fs::read_to_string(entry.path()).ok()?;
                Some((n, serde_json::from_str(&text).expect("message JSON")))
            })
            .collect();
        found.sort_by_key(|(n, _)| *n);
        found.into_iter().map(|(_, v)| v).collect()
    }
}
