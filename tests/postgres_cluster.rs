//! The throwaway PostgreSQL cluster the journal's tests run on: it starts, answers on its
//! loopback port, makes databases, and is gone once the test lets go of it.

#[path = "common/postgres.rs"]
#[allow(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod postgres;

use std::net::TcpStream;

#[test]
fn a_cluster_starts_answers_and_is_gone_after_the_test() {
    let cluster = match postgres::Cluster::start("harness") {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let port = cluster.port();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    cluster.create_database("journal").expect("a database");
    assert!(
        cluster
            .url("journal")
            .ends_with(&format!(":{port}/journal"))
    );
    let pid = cluster.pid().expect("the server's pid");
    drop(cluster);
    assert!(gone(pid), "the cluster's server {pid} still runs");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Whether process `pid` has ended (or is only waiting to be reaped), within 10 s.
fn gone(pid: u32) -> bool {
    let ended = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(") ").next().is_some_and(|s| s.starts_with('Z'))
        })
    };
    (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        ended()
    })
}
