//! A TCP proxy between a collector and ClickHouse that misbehaves on
//! command: refuses connections (ClickHouse down), drops a response after
//! ClickHouse has answered (the insert is committed, the collector never
//! hears it), or stalls (a half-open connection). Plain threads and
//! blocking sockets; stopped when dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Pass = 0,
    /// New connections are closed at once and open ones are cut.
    Down = 1,
    /// The next response from ClickHouse is swallowed and its connection
    /// cut; then back to `Pass`.
    DropNextResponse = 2,
    /// Nothing is forwarded either way until the mode changes.
    Stall = 3,
}

struct Shared {
    mode: AtomicU8,
    stop: AtomicBool,
    dropped_responses: AtomicU64,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on a free loopback port, forwarding to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_socket_addrs()
            .expect("upstream address")
            .next()
            .expect("upstream address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            mode: AtomicU8::new(Mode::Pass as u8),
            stop: AtomicBool::new(false),
            dropped_responses: AtomicU64::new(0),
        });
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || accept_loop(listener, upstream, accept_shared));
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        self.shared.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn dropped_responses(&self) -> u64 {
        self.shared.dropped_responses.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn mode_of(shared: &Shared) -> Mode {
    match shared.mode.load(Ordering::SeqCst) {
        1 => Mode::Down,
        2 => Mode::DropNextResponse,
        3 => Mode::Stall,
        _ => Mode::Pass,
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                if mode_of(&shared) == Mode::Down {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let shared = Arc::clone(&shared);
                thread::spawn(move || connection(client, server, shared));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn connection(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let timeout = Some(Duration::from_millis(50));
    for stream in [&client, &server] {
        let _ = stream.set_read_timeout(timeout);
        let _ = stream.set_nodelay(true);
    }
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let up_shared = Arc::clone(&shared);
    let up = thread::spawn(move || pump(client, server, &up_shared, false));
    pump(server2, client2, &shared, true);
    let _ = up.join();
}

/// Copies `from` → `to` until either side closes, obeying the mode.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared, is_response: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        match mode_of(shared) {
            Mode::Down => break,
            Mode::Stall => {
                // Hold everything: read nothing, write nothing.
                thread::sleep(Duration::from_millis(20));
                continue;
            }
            _ => {}
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        };
        if is_response
            && shared
                .mode
                .compare_exchange(
                    Mode::DropNextResponse as u8,
                    Mode::Pass as u8,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
        {
            shared.dropped_responses.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if mode_of(shared) == Mode::Down {
            // Turned down while reading: these bytes never arrive.
            break;
        }
        if mode_of(shared) == Mode::Stall {
            // Stalled after reading: keep the bytes until released.
            while mode_of(shared) == Mode::Stall && !shared.stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
