//! Connections: how many at once, and how long a client may take to send a request's head.
//!
//! ```text
//! 1,024 connections open   → the next waits in the system's accept queue until one closes
//! a request head unfinished after 10 s (slowloris) → the connection is closed
//! SIGTERM                  → no new connections; those open finish their request (5 s at most)
//! ```
//!
//! The router is axum's; each connection is served by hyper's HTTP/1 with a timer, so that its
//! header read time limit holds (`axum::serve` sets no timer, so it has none).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How many connections are served at once.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a client may take to send a request's head (its line and headers).
pub const HEADER_TIME: Duration = Duration::from_secs(10);

/// How long requests in flight may take to finish once weir stops.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Serves until `stop` ends, then lets the requests in flight finish.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        // A connection past the limit waits in the system's queue rather than being refused.
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors, or the like: wait, then go on.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIME)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    let _ = tokio::time::timeout(DRAIN_TIME, graceful.shutdown()).await;
}
