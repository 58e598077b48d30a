//! Lambda `manage`: the business's writes (invitations, reps, settings, keys).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    feedback_http::lambda::serve(feedback_http::MANAGE).await
}
