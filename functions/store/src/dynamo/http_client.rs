//! The HTTP client under every SDK client here (DynamoDB, and the send
//! function's SES and SNS): reqwest, speaking HTTP/1.1 over rustls on ring
//! with Mozilla's roots, as the webhooks do.
//!
//! Written here rather than taken from `aws-smithy-http-client`, the SDK's
//! own hyper client, because that one always links HTTP/2 (`h2`, 0.6 MB of
//! the authorizer's code by `cargo bloat`) and HTTP proxy support, which no
//! AWS endpoint these functions call needs: DynamoDB, SES and SNS answer
//! HTTP/1.1 (BENCHMARKS.md, "Lean Lambdas"; decision 9). reqwest does the
//! connecting, pooling, TLS and timeouts; this module only hands requests
//! and answers between the two and sorts errors the way the SDK's retry
//! rules expect.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The timeouts a connection pool is built for: connect, then read.
type Timeouts = (Option<Duration>, Option<Duration>);

/// An [`HttpClient`] on reqwest: one pool per set of timeouts the SDK asks
/// for (the store's clients all ask for the same, so in practice one).
#[derive(Debug, Default)]
pub(super) struct ReqwestClient {
    pools: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for ReqwestClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.pool((settings.connect_timeout(), settings.read_timeout()))
    }
}

impl ReqwestClient {
    /// The pool for `timeouts`, built on first use: the SDK asks for a
    /// connector on every attempt, and a new pool would mean a new
    /// connection and TLS handshake each time.
    fn pool(&self, timeouts: Timeouts) -> SharedHttpConnector {
        let mut pools = self.pools.lock().unwrap_or_else(PoisonError::into_inner);
        pools
            .entry(timeouts)
            .or_insert_with(|| SharedHttpConnector::new(Pool::new(timeouts)))
            .clone()
    }
}

/// One reqwest client, or why it could not be built (its TLS setup).
#[derive(Debug)]
struct Pool(Result<reqwest::Client, String>);

impl Pool {
    fn new((connect, read): Timeouts) -> Self {
        let mut builder = reqwest::Client::builder();
        if let Some(connect) = connect {
            builder = builder.connect_timeout(connect);
        }
        if let Some(read) = read {
            builder = builder.read_timeout(read);
        }
        Self(builder.build().map_err(|e| e.to_string()))
    }
}

impl HttpConnector for Pool {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move {
            let client = client.map_err(|e| ConnectorError::other(e.into(), None))?;
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?;
            // The SDK's requests here are whole in memory; a streaming body
            // would be a request this module was not written for.
            let (parts, body) = request.into_parts();
            let body = body
                .bytes()
                .map(<[u8]>::to_vec)
                .ok_or_else(|| ConnectorError::user("a streaming request body".into()))?;
            let request = reqwest::Request::try_from(http::Request::from_parts(parts, body))
                .map_err(|e| ConnectorError::user(e.into()))?;
            let response = client.execute(request).await.map_err(sorted)?;
            let response = http::Response::from(response).map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// A reqwest error as the SDK's retry rules read it: a timeout or a failed
/// connection or exchange is transient (retried), a request that could not
/// be built is the caller's.
fn sorted(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_builder() {
        ConnectorError::user(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::byte_stream::ByteStream;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn request(url: &str, body: &'static str) -> HttpRequest {
        let request = http::Request::builder()
            .method("POST")
            .uri(url)
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(SdkBody::from(body))
            .unwrap();
        HttpRequest::try_from(request).unwrap()
    }

    /// Accepts one connection and hands back what the client sent, after
    /// answering with `answer` (or never answering, when it is `None`).
    async fn server(answer: Option<&'static str>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let received = read_request(&mut socket).await;
            match answer {
                Some(answer) => socket.write_all(answer.as_bytes()).await.unwrap(),
                None => tokio::time::sleep(Duration::from_secs(5)).await,
            }
            received
        });
        (url, served)
    }

    /// Reads one request of [`request`]'s, whose body is `{}`.
    async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
        let mut received = Vec::new();
        let mut buf = [0; 4096];
        while !String::from_utf8_lossy(&received).contains("\r\n\r\n{}") {
            let n = socket.read(&mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(received).unwrap()
    }

    #[tokio::test]
    async fn a_request_goes_out_and_its_answer_comes_back_over_http_1_1() {
        let (url, served) = server(Some(
            "HTTP/1.1 400 Bad Request\r\nx-amzn-requestid: r1\r\ncontent-length: 7\r\n\r\n{\"a\":1}",
        ))
        .await;
        let response = Pool::new((None, None))
            .call(request(&url, "{}"))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers().get("x-amzn-requestid"), Some("r1"));
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .unwrap();
        assert_eq!(&body.into_bytes()[..], b"{\"a\":1}");
        let received = served.await.unwrap().to_lowercase();
        assert!(received.starts_with("post / http/1.1\r\n"), "{received}");
        assert!(received.contains("x-amz-target: dynamodb_20120810.getitem\r\n"));
        assert!(received.ends_with("\r\n\r\n{}"));
    }

    #[tokio::test]
    async fn the_connection_is_kept_for_the_next_call() {
        // One connection accepted, two requests answered on it: the
        // connection a function opens during init serves its first customer.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            for _ in 0..2 {
                read_request(&mut socket).await;
                let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        let pool = Pool::new((Some(Duration::from_secs(1)), None));
        for _ in 0..2 {
            let response =
                tokio::time::timeout(Duration::from_secs(2), pool.call(request(&url, "{}")))
                    .await
                    .expect("the second call waited for a connection the server never accepts")
                    .unwrap();
            // As the SDK does: the answer is read to its end.
            ByteStream::new(response.into_body())
                .collect()
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn no_connection_is_an_io_error_the_sdk_retries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let error = Pool::new((Some(Duration::from_secs(1)), None))
            .call(request(&url, "{}"))
            .await
            .unwrap_err();
        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn https_speaks_tls_and_a_failed_handshake_is_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut hello = [0; 5];
            socket.read_exact(&mut hello).await.unwrap();
            // A TLS record: a handshake message of TLS 1.x.
            assert_eq!(&hello[..2], &[0x16, 0x03]);
            socket
                .write_all(b"HTTP/1.1 400 Not TLS\r\n\r\n")
                .await
                .unwrap();
        });
        let error = Pool::new((Some(Duration::from_secs(1)), None))
            .call(request(&url, "{}"))
            .await
            .unwrap_err();
        assert!(error.is_io(), "{error:?}");
        served.await.unwrap();
    }

    #[tokio::test]
    async fn an_answer_that_never_comes_is_a_timeout() {
        let (url, _served) = server(None).await;
        let error = Pool::new((None, Some(Duration::from_millis(200))))
            .call(request(&url, "{}"))
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
    }

    #[test]
    fn one_pool_serves_every_call_with_the_same_timeouts() {
        let client = ReqwestClient::default();
        let pools = || client.pools.lock().unwrap().len();
        client.pool((Some(Duration::from_secs(2)), None));
        client.pool((Some(Duration::from_secs(2)), None));
        assert_eq!(pools(), 1);
        client.pool((None, None));
        assert_eq!(pools(), 2);
    }
}
