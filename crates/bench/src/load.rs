//! A small HTTP/1.1 load generator on keep-alive connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

type Make = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;

/// What to request: a function from a sequence number to a request.
#[derive(Clone)]
pub struct Target {
    addr: SocketAddr,
    make: Make,
}

impl Target {
    pub fn get(addr: SocketAddr, path: &str) -> Target {
        let path = path.to_string();
        Target {
            addr,
            make: Arc::new(move |_| {
                Request::get(path.as_str()).header("host", "bench").body(Full::new(Bytes::new())).unwrap()
            }),
        }
    }

    /// A GET as a logged-in member (bearer token): the token, the member's
    /// standing and the page each come from the server's read caches.
    pub fn get_as(addr: SocketAddr, path: &str, token: &str) -> Target {
        let path = path.to_string();
        let auth = format!("Bearer {token}");
        Target {
            addr,
            make: Arc::new(move |_| {
                Request::get(path.as_str())
                    .header("host", "bench")
                    .header("authorization", auth.as_str())
                    .body(Full::new(Bytes::new()))
                    .unwrap()
            }),
        }
    }

    /// POST /api/v1/posts/{id}/comments, cycling through `posts`.
    pub fn post_comments(addr: SocketAddr, posts: Vec<i64>, token: &str) -> Target {
        let auth = format!("Bearer {token}");
        Target {
            addr,
            make: Arc::new(move |n| {
                let id = posts[n as usize % posts.len()];
                Request::builder()
                    .method(Method::POST)
                    .uri(format!("/api/v1/posts/{id}/comments"))
                    .header("host", "bench")
                    .header("content-type", "application/json")
                    .header("authorization", auth.as_str())
                    .body(Full::new(Bytes::from(format!("{{\"body\":\"bench comment {n}\"}}"))))
                    .unwrap()
            }),
        }
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies_us: Vec<u32>,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn p99_ms(&self) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        v[(v.len() * 99 / 100).min(v.len() - 1)] as f64 / 1000.0
    }
    fn merge(&mut self, o: Stats) {
        self.ok += o.ok;
        self.errors += o.errors;
        self.latencies_us.extend(o.latencies_us);
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

/// Waits for every connection's task and adds up their figures.
async fn gather(tasks: Vec<tokio::task::JoinHandle<Result<Stats>>>, start: Instant) -> Result<Stats> {
    let mut total = Stats::default();
    for task in tasks {
        total.merge(task.await??);
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

async fn connect(addr: SocketAddr) -> Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(sender: &mut Sender, req: Request<Full<Bytes>>) -> bool {
    if sender.ready().await.is_err() {
        return false;
    }
    match sender.send_request(req).await {
        Ok(res) => {
            let ok = res.status().is_success();
            ok && res.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}

pub async fn get_ok(addr: SocketAddr, path: &str) -> bool {
    match connect(addr).await {
        Ok(mut s) => send(&mut s, Target::get(addr, path).make.as_ref()(0)).await,
        Err(_) => false,
    }
}

/// Each connection sends its next request as soon as the last one answered.
pub async fn closed_loop(t: &Target, conns: usize, dur: Duration) -> Result<Stats> {
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = vec![];
    for c in 0..conns {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::default();
            let mut sender = connect(t.addr).await?;
            let mut n = c as u64 * 1_000_000_000;
            while Instant::now() < deadline {
                let s = Instant::now();
                if send(&mut sender, (t.make)(n)).await {
                    st.ok += 1;
                    st.latencies_us.push(s.elapsed().as_micros() as u32);
                } else {
                    st.errors += 1;
                    sender = connect(t.addr).await?;
                }
                n += 1;
            }
            anyhow::Ok(st)
        }));
    }
    gather(tasks, start).await
}

/// Sends at a fixed total `rate`; latency is measured from when each request
/// was due, so a stalled server cannot hide its queueing delay.
pub async fn open_loop(t: &Target, conns: usize, rate: f64, dur: Duration) -> Result<Stats> {
    let start = Instant::now() + Duration::from_millis(50);
    let per_conn = Duration::from_secs_f64(conns as f64 / rate.max(1.0));
    let total_per_conn = (dur.as_secs_f64() / per_conn.as_secs_f64()) as u64;
    let mut tasks = vec![];
    for c in 0..conns {
        let t = t.clone();
        let offset = per_conn.mul_f64(c as f64 / conns as f64);
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::default();
            let mut sender = connect(t.addr).await?;
            for k in 0..total_per_conn {
                let due = start + offset + per_conn.mul_f64(k as f64);
                tokio::time::sleep_until(due.into()).await;
                let n = 2_000_000_000 + c as u64 * 1_000_000_000 + k;
                if send(&mut sender, (t.make)(n)).await {
                    st.ok += 1;
                    st.latencies_us.push(due.elapsed().as_micros() as u32);
                } else {
                    st.errors += 1;
                    sender = connect(t.addr).await?;
                }
            }
            anyhow::Ok(st)
        }));
    }
    gather(tasks, start).await
}
