//! The HTTP/1.1 server on tokio: parses requests with `httparse` (so faults can be injected
//! at the byte level), answers 505 to any other protocol version, keeps connections alive,
//! requires `Content-Length` bodies, and writes resets and truncated bodies on demand.

use super::api::{self, AppState, Transport};
use super::response::{Response, code, reason};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

const MAX_HEAD: usize = 64 * 1024;
static TRANSACTION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x2A06_CCC7);
/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

// The parsed request lives next to its neutral `response` so handlers do not import the
// server (the server imports the handlers).
pub use super::request::{Region, Request};

/// Accept connections until `shutdown` changes or its sender is dropped.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                while conns.try_join_next().is_some() {}
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, state.clone()));
                }
            }
        }
    }
    conns.abort_all();
}

enum Parsed {
    Request(Box<Request>, usize),
    Reject(Response),
}

fn parse(buf: &[u8]) -> Option<Parsed> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => None,
        Err(httparse::Error::Version) => Some(Parsed::Reject(Response::error(
            505,
            code::INTERNAL_ERROR,
            "HTTP version not supported; use HTTP/1.1",
        ))),
        Err(e) => Some(Parsed::Reject(Response::error(
            400,
            code::BAD_REQUEST,
            &format!("Malformed request: {e}"),
        ))),
        Ok(httparse::Status::Complete(n)) => {
            if req.version != Some(1) {
                return Some(Parsed::Reject(Response::error(
                    505,
                    code::INTERNAL_ERROR,
                    "HTTP version not supported; use HTTP/1.1",
                )));
            }
            let target = req.path.unwrap_or("/");
            let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
            let (region, path) = if raw_path == "/eu" || raw_path.starts_with("/eu/") {
                (Region::Eu, &raw_path[3..])
            } else if raw_path == "/us" || raw_path.starts_with("/us/") {
                (Region::Us, &raw_path[3..])
            } else {
                (Region::Us, raw_path)
            };
            let headers = req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            Some(Parsed::Request(
                Box::new(Request {
                    method: req.method.unwrap_or("GET").to_string(),
                    raw_path: raw_path.to_string(),
                    path: path.to_string(),
                    query: query.to_string(),
                    headers,
                    body: Vec::new(),
                    region,
                }),
                n,
            ))
        }
    }
}

async fn connection(mut stream: TcpStream, state: Arc<AppState>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Read until a complete head is parsed.
        let (mut req, head_len) = loop {
            if !buf.is_empty() {
                match parse(&buf) {
                    Some(Parsed::Request(r, n)) => break (r, n),
                    Some(Parsed::Reject(resp)) => {
                        let _ = write_response(&mut stream, &resp, false, None).await;
                        return;
                    }
                    None => {}
                }
            }
            if buf.len() > MAX_HEAD {
                let resp = Response::error(400, code::BAD_REQUEST, "Request head too large");
                let _ = write_response(&mut stream, &resp, false, None).await;
                return;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        if req.header("transfer-encoding").is_some() {
            let resp =
                Response::error(411, code::BAD_REQUEST, "A valid Content-Length is required");
            let _ = write_response(&mut stream, &resp, false, None).await;
            return;
        }
        let len = match req
            .header("content-length")
            .map(|v| v.trim().parse::<usize>())
        {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                let resp = Response::error(400, code::BAD_REQUEST, "Invalid Content-Length header");
                let _ = write_response(&mut stream, &resp, false, None).await;
                return;
            }
        };
        if len > MAX_BODY {
            let resp = Response::error(413, code::BAD_REQUEST, "Request body exceeds 1 MiB");
            let _ = write_response(&mut stream, &resp, false, None).await;
            return;
        }
        while buf.len() < head_len + len {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        req.body = buf[head_len..head_len + len].to_vec();
        buf.drain(..head_len + len);
        let keep_alive = !req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));

        let reply = api::handle(&state, &req).await;
        match reply.transport {
            Transport::Normal => {
                if write_response(&mut stream, &reply.response, keep_alive, None)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
            }
            Transport::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Transport::Truncate => {
                let half = reply.response.body.len() / 2;
                let _ = write_response(&mut stream, &reply.response, true, Some(half)).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
        state.served.fetch_add(1, Ordering::Relaxed);
    }
}

/// Write a response; `cut` sends only that many body bytes (while announcing all).
async fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    keep_alive: bool,
    cut: Option<usize>,
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut head = String::with_capacity(512);
    let _ = write!(head, "HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    let _ = write!(
        head,
        "date: {}\r\n",
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT")
    );
    let _ = write!(head, "content-type: {}\r\n", resp.content_type);
    let _ = write!(head, "content-length: {}\r\n", resp.body.len());
    head.push_str("strict-transport-security: max-age=7776000\r\n");
    head.push_str("cache-control: no-cache,no-store,must-revalidate\r\n");
    let tx = TRANSACTION.fetch_add(1, Ordering::Relaxed);
    let _ = write!(
        head,
        "x-transaction: {{{:08X}-{:04X}-4000-8000-{:012X}}}\r\n",
        tx >> 16,
        tx & 0xffff,
        tx
    );
    for (k, v) in &resp.headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str(if keep_alive {
        "connection: keep-alive\r\n\r\n"
    } else {
        "connection: close\r\n\r\n"
    });
    let body = match cut {
        Some(n) => &resp.body[..n.min(resp.body.len())],
        None => &resp.body[..],
    };
    if head.len() + body.len() <= 64 * 1024 {
        let mut all = head.into_bytes();
        all.extend_from_slice(body);
        stream.write_all(&all).await?;
    } else {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
    }
    stream.flush().await
}
