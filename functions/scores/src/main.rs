//! Lambda `scores`: the business's reads (responses, scores, leaderboard).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    feedback_http::lambda::serve(feedback_http::SCORES).await
}
