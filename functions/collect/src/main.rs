//! Lambda `collect`: the public rating endpoints (`/r/{code}`), the only
//! function reachable without an API key. Its role may write responses but
//! not read scores or keys.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    feedback_http::lambda::serve(feedback_http::COLLECT).await
}
