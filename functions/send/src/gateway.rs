//! SMS through an HTTP gateway the operator names by URL: the local
//! server's.

use crate::{SendSms, TIMEOUT};
use async_trait::async_trait;
use feedback_app::sending::{NotSent, SmsMessage};

/// An HTTP SMS gateway: `POST {url}` with `{"to": "+92…", "text": "…"}`,
/// and `Authorization: Bearer {token}` when one is set. A 2xx is sent; a
/// 408, 429 or 5xx (or no answer) is tried again later; another 4xx is a
/// refusal that will not change (a number the gateway rejects).
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl SmsGateway {
    pub fn new(url: &str, token: Option<String>) -> SmsGateway {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("feedback-sms/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        SmsGateway {
            client,
            url: url.to_owned(),
            token,
        }
    }
}

#[async_trait]
impl SendSms for SmsGateway {
    async fn send_sms(&self, sms: &SmsMessage) -> Result<(), NotSent> {
        let mut request = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({"to": sms.to, "text": sms.text}));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let status = request
            .send()
            .await
            .map_err(|e| {
                NotSent::Retry(format!(
                    "the SMS gateway did not answer: {}",
                    without_url(&e)
                ))
            })?
            .status();
        if status.is_success() {
            return Ok(());
        }
        let reason = format!("the SMS gateway answered {status}");
        if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
            Err(NotSent::Retry(reason))
        } else {
            Err(NotSent::Refused(reason))
        }
    }
}

/// A reqwest error without its URL, which may hold the gateway's key.
fn without_url(e: &reqwest::Error) -> String {
    let e = e.to_string();
    e.split(" for url").next().unwrap_or(&e).to_owned()
}
