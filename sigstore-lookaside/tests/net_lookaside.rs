//! Reading lookaside stores over HTTP from real servers on 127.0.0.1 (well-behaved and hostile ones,
//! written with std::net), and from `file://` trees; the concurrent walk must give exactly the
//! sequential walk's result.

#![allow(clippy::unwrap_used)]

mod server_support;

use std::{
    io::{BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use containers_policy::{Digest, signature::Signature};
use sigstore_lookaside::{
    HttpOptions, LookasideUrl, fetch::SignatureReader, store::http::HttpStore,
};

/// What the test server answers for one request path.
#[derive(Clone)]
enum Reply {
    /// A full response: status line, extra headers, body.
    Full(&'static str, Vec<(&'static str, String)>, Vec<u8>),
    /// Accept and read the request, then never answer.
    Hang,
}

fn ok(body: Vec<u8>) -> Reply {
    Reply::Full("200 OK", vec![], body)
}

fn status(line: &'static str) -> Reply {
    Reply::Full(line, vec![], b"error page".to_vec())
}

/// A one-thread-per-connection HTTP/1.1 server answering from `route(path)`; counts requests.
struct Server {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start(route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        let (port, requests) =
            server_support::serve_loopback(move |stream, counter| handle(stream, &route, counter));
        Server { port, requests }
    }

    fn base(&self, path: &str) -> LookasideUrl {
        LookasideUrl::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn handle(stream: TcpStream, route: &dyn Fn(&str) -> Reply, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    let _ = stream.set_nodelay(true);
    while let Some(path) = server_support::read_request_path(&mut reader) {
        counter.fetch_add(1, Ordering::SeqCst);
        match route(&path) {
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Reply::Full(status, headers, body) => {
                let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let mut response = head.into_bytes();
                response.extend_from_slice(&body);
                if stream.write_all(&response).is_err() {
                    return;
                }
            }
        }
    }
}

fn digest() -> Digest {
    Digest::sha256_of(b"a manifest")
}

/// A blob the format sniffing takes as a simple signature (first byte 0xA3), distinct per index.
fn sig(i: usize) -> Vec<u8> {
    vec![0xA3, 0x01, (i % 256) as u8, (i / 256) as u8]
}

/// `/repo@sha256=<hex>/signature-<N>` → N.
fn index_of(path: &str) -> Option<usize> {
    let prefix = format!("/lookaside/ns/repo@sha256={}/signature-", digest().hex());
    path.strip_prefix(&prefix)?.parse().ok()
}

fn sig_url(server: &Server, index: usize) -> String {
    server.url(&format!(
        "/lookaside/ns/repo@sha256={}/signature-{index}",
        digest().hex()
    ))
}

fn options() -> HttpOptions {
    HttpOptions::default().with_timeouts(Duration::from_secs(5), Duration::from_secs(20))
}

/// Reads with concurrency 1 and 8 (blobs and parsed signatures) and checks all four give the same
/// outcome; returns it, errors as text.
fn read_both_ways(server: &Server) -> Result<Vec<Vec<u8>>, String> {
    let base = server.base("/lookaside/ns/repo");
    let mut outcomes = Vec::new();
    for n in [1, 8] {
        let reader = SignatureReader::new(&options())
            .unwrap()
            .with_concurrency(n);
        let blobs = reader
            .read_signature_blobs(&base, &digest())
            .map_err(|e| e.to_string());
        let sigs = reader
            .read_signatures(&base, &digest())
            .map(|v| v.iter().map(Signature::to_blob).collect::<Vec<_>>())
            .map_err(|e| e.to_string());
        assert_eq!(blobs, sigs, "concurrency {n}");
        outcomes.push(blobs);
    }
    assert_eq!(
        outcomes[0], outcomes[1],
        "sequential and concurrent walks differ"
    );
    outcomes.remove(0)
}

/// A server whose answer for each index is `spec(index)`; paths outside the layout are 404.
fn per_index(spec: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(move |path| match index_of(path) {
        Some(i) => spec(i),
        None => status("404 Not Found"),
    })
}

#[test]
fn three_present_then_404() {
    let server = per_index(|i| {
        if i <= 3 {
            ok(sig(i))
        } else {
            status("404 Not Found")
        }
    });
    assert_eq!(read_both_ways(&server), Ok(vec![sig(1), sig(2), sig(3)]));
}

#[test]
fn nothing_present() {
    let server = per_index(|_| status("404 Not Found"));
    assert_eq!(read_both_ways(&server), Ok(vec![]));
}

#[test]
fn server_error_reported_with_upstream_text() {
    let server = per_index(|i| match i {
        1 => ok(sig(1)),
        2 => status("500 Internal Server Error"),
        _ => status("404 Not Found"),
    });
    assert_eq!(
        read_both_ways(&server),
        Err(format!(
            "reading signature from {}: received unexpected HTTP status: 500 Internal Server Error",
            sig_url(&server, 2)
        ))
    );
}

#[test]
fn error_before_a_missing_index_wins() {
    // Index 2 fails while 4 is missing: the walk never gets past 2.
    let server = per_index(|i| match i {
        2 => status("503 Service Unavailable"),
        4 => status("404 Not Found"),
        _ => ok(sig(i)),
    });
    assert_eq!(
        read_both_ways(&server),
        Err(format!(
            "reading signature from {}: received unexpected HTTP status: 503 Service Unavailable",
            sig_url(&server, 2)
        ))
    );
}

#[test]
fn missing_index_before_an_error_ends_the_list() {
    let server = per_index(|i| match i {
        1 | 2 => ok(sig(i)),
        3 => status("404 Not Found"),
        _ => status("500 Internal Server Error"),
    });
    assert_eq!(read_both_ways(&server), Ok(vec![sig(1), sig(2)]));
}

#[test]
fn parse_error_at_1_while_2_is_a_500() {
    let server = per_index(|i| match i {
        1 => ok(b"-----BEGIN PGP SIGNATURE-----".to_vec()),
        2 => status("500 Internal Server Error"),
        _ => status("404 Not Found"),
    });
    assert_eq!(
        read_both_ways(&server),
        Err(format!(
            "parsing signature {}: unrecognized signature format, starting with binary 0x2d",
            sig_url(&server, 1)
        ))
    );
}

#[test]
fn at_most_127_signatures() {
    for (present, expect_ok) in [(127, true), (128, false), (130, false)] {
        let server = per_index(move |i| {
            if i <= present {
                ok(sig(i))
            } else {
                status("404 Not Found")
            }
        });
        let outcome = read_both_ways(&server);
        if expect_ok {
            assert_eq!(outcome, Ok((1..=present).map(sig).collect()));
        } else {
            assert_eq!(
                outcome,
                Err("server provided 128 signatures, assuming that's unreasonable and a server error"
                    .to_string())
            );
        }
        // Index 129 is never requested, even by the concurrent reader.
        let reader = SignatureReader::new(&options())
            .unwrap()
            .with_concurrency(16);
        let before = server.requests.load(Ordering::SeqCst);
        let _ = reader.read_signature_blobs(&server.base("/lookaside/ns/repo"), &digest());
        let made = server.requests.load(Ordering::SeqCst) - before;
        assert!(made <= 128, "{made} requests for {present} signatures");
    }
}

#[test]
fn redirect_is_followed() {
    let hex = digest().hex().to_string();
    let server = Server::start(move |path| {
        if index_of(path) == Some(1) {
            Reply::Full(
                "301 Moved Permanently",
                vec![("Location", format!("/moved/{hex}/one"))],
                vec![],
            )
        } else if path == format!("/moved/{hex}/one") {
            ok(sig(1))
        } else {
            status("404 Not Found")
        }
    });
    assert_eq!(read_both_ways(&server), Ok(vec![sig(1)]));
}

#[test]
fn oversize_body_is_refused() {
    let server = per_index(|i| match i {
        1 => ok(vec![0xA3; (4 << 20) + 1]),
        _ => status("404 Not Found"),
    });
    assert_eq!(
        read_both_ways(&server),
        Err("exceeded maximum allowed size of 4194304 bytes".to_string())
    );
    // Exactly 4 MiB is accepted.
    let server = per_index(|i| match i {
        1 => ok(vec![0xA3; 4 << 20]),
        _ => status("404 Not Found"),
    });
    assert_eq!(read_both_ways(&server).map(|v| v[0].len()), Ok(4 << 20));
}

#[test]
fn server_that_never_answers_times_out() {
    let server = per_index(|_| Reply::Hang);
    let options = HttpOptions::default()
        .with_timeouts(Duration::from_millis(500), Duration::from_millis(300));
    for n in [1, 4] {
        let reader = SignatureReader::new(&options).unwrap().with_concurrency(n);
        let err = reader
            .read_signatures(&server.base("/lookaside/ns/repo"), &digest())
            .unwrap_err();
        assert_eq!(err.kind(), sigstore_lookaside::ErrorKind::Read);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("Get \"{}\": ", sig_url(&server, 1))),
            "{text}"
        );
        assert!(text.contains("timeout"), "{text}");
    }
}

#[test]
fn connection_refused_names_the_url() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = LookasideUrl::parse(&format!("http://127.0.0.1:{port}/lookaside/ns/repo")).unwrap();
    let err = SignatureReader::new(&options())
        .unwrap()
        .read_signatures(&base, &digest())
        .unwrap_err()
        .to_string();
    let expected_url = format!(
        "http://127.0.0.1:{port}/lookaside/ns/repo@sha256={}/signature-1",
        digest().hex()
    );
    assert!(
        err.starts_with(&format!("Get \"{expected_url}\": ")),
        "{err}"
    );
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn html_content_type_only_warns() {
    let server = per_index(|i| match i {
        1 => Reply::Full(
            "200 OK",
            vec![("Content-Type", "text/html; charset=utf-8".to_string())],
            sig(1),
        ),
        _ => status("404 Not Found"),
    });
    assert_eq!(read_both_ways(&server), Ok(vec![sig(1)]));
    let store = HttpStore::new(&options()).unwrap();
    let url = url::Url::parse(&sig_url(&server, 1)).unwrap();
    let mut warnings = Vec::new();
    let body = store.get_one_with_warnings(&url, &mut warnings).unwrap();
    assert_eq!(body, Some(sig(1)));
    assert_eq!(
        warnings,
        [format!(
            "Signature \"{}\" has Content-Type \"text/html; charset=utf-8\", unexpected for a signature",
            sig_url(&server, 1)
        )]
    );
    // A signature content type gives no warning.
    let plain = per_index(|i| match i {
        1 => Reply::Full(
            "200 OK",
            vec![("Content-Type", "application/octet-stream".into())],
            sig(1),
        ),
        _ => status("404 Not Found"),
    });
    let mut warnings = Vec::new();
    let url = url::Url::parse(&sig_url(&plain, 1)).unwrap();
    store.get_one_with_warnings(&url, &mut warnings).unwrap();
    assert!(warnings.is_empty());
}

#[test]
fn http_store_get_one_statuses() {
    let server = Server::start(|path| match path {
        "/ok" => ok(b"x".to_vec()),
        "/gone" => status("404 Not Found"),
        _ => status("403 Forbidden"),
    });
    let store = HttpStore::new(&options()).unwrap();
    let get = |p: &str| store.get_one(&url::Url::parse(&server.url(p)).unwrap());
    assert_eq!(get("/ok").unwrap(), Some(b"x".to_vec()));
    assert_eq!(get("/gone").unwrap(), None);
    assert_eq!(
        get("/denied").unwrap_err().to_string(),
        format!(
            "reading signature from {}: received unexpected HTTP status: 403 Forbidden",
            server.url("/denied")
        )
    );
}

#[test]
fn file_store_walk() {
    let dir = tempfile::tempdir().unwrap();
    let image_dir = dir
        .path()
        .join(format!("ns/repo@sha256={}", digest().hex()));
    std::fs::create_dir_all(&image_dir).unwrap();
    for i in 1..=3 {
        std::fs::write(image_dir.join(format!("signature-{i}")), sig(i)).unwrap();
    }
    std::fs::write(image_dir.join("signature-5"), sig(5)).unwrap();
    let base = LookasideUrl::parse(&format!("file://{}/ns/repo", dir.path().display())).unwrap();
    for n in [1, 8] {
        let reader = SignatureReader::new(&options())
            .unwrap()
            .with_concurrency(n);
        assert_eq!(
            reader.read_signature_blobs(&base, &digest()).unwrap(),
            [sig(1), sig(2), sig(3)]
        );
    }
    // The host part of a file URL is ignored.
    let with_host =
        LookasideUrl::parse(&format!("file://somehost{}/ns/repo", dir.path().display())).unwrap();
    assert_eq!(
        SignatureReader::new(&options())
            .unwrap()
            .read_signature_blobs(&with_host, &digest())
            .unwrap()
            .len(),
        3
    );
    // A parse error names the file, Go-quoted.
    std::fs::write(image_dir.join("signature-2"), b"").unwrap();
    for n in [1, 8] {
        let err = SignatureReader::new(&options())
            .unwrap()
            .with_concurrency(n)
            .read_signatures(&base, &digest())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "parsing signature \"{}\": empty signature blob",
                image_dir.join("signature-2").display()
            )
        );
    }
}

#[test]
fn unsupported_schemes() {
    let reader = SignatureReader::new(&options()).unwrap();
    for (configured, shown) in [
        ("ftp://127.0.0.1/x/ns/repo", "ftp://127.0.0.1/x/ns/repo"),
        ("/just/a/path/ns/repo", "/just/a/path/ns/repo"),
    ] {
        let base = LookasideUrl::parse(configured).unwrap();
        let err = reader.read_signatures(&base, &digest()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Unsupported scheme when reading signature from {shown}@sha256={}/signature-1",
                digest().hex()
            )
        );
    }
}
