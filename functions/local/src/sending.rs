//! Sending the invitations from the local server: through the SMTP server
//! and the SMS gateway the operator configures, by a worker that sweeps the
//! due invitations every few seconds, as the `send` schedule does in AWS.

use feedback_app::sending::Messenger;
use feedback_http::Tenant;
use feedback_send::gateway::SmsGateway;
use feedback_send::smtp::SmtpMailer;
use feedback_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for due invitations: a message goes out at
/// most this long after it is due.
const POLL: Duration = Duration::from_secs(5);

/// The senders the operator configured.
pub type Messengers = feedback_send::Senders<SmtpMailer, SmsGateway>;

/// E-mail from `SMTP_URL` and `MAIL_FROM`, SMS from `SMS_GATEWAY_URL`
/// (and `SMS_GATEWAY_TOKEN`); none where unset. Refuses half a
/// configuration rather than start without a sender the operator meant.
pub fn messengers_from_env() -> Result<Messengers, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let email = match (var("SMTP_URL"), var("MAIL_FROM")) {
        (Some(url), Some(from)) => Some(SmtpMailer::new(&url, &from)?),
        (None, None) => None,
        (Some(_), None) => {
            return Err(
                "SMTP_URL is set but MAIL_FROM is not: name the address messages \
                        come from, \"Chai & Co <feedback@chai.example>\""
                    .into(),
            );
        }
        (None, Some(_)) => {
            return Err(
                "MAIL_FROM is set but SMTP_URL is not: name the SMTP server to send through".into(),
            );
        }
    };
    Ok(Messengers {
        email,
        sms: var("SMS_GATEWAY_URL").map(|url| SmsGateway::new(&url, var("SMS_GATEWAY_TOKEN"))),
    })
}

/// The shortest token the SMS gateway may forward replies with.
const MIN_TOKEN: usize = 16;

/// The token the SMS gateway forwards the customers' replies with
/// (`SMS_REPLIES_TOKEN`); none when unset.
pub fn replies_token_from_env() -> Result<Option<String>, String> {
    match std::env::var("SMS_REPLIES_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        Some(token) if token.len() < MIN_TOKEN => Err(format!(
            "SMS_REPLIES_TOKEN must be at least {MIN_TOKEN} characters: anyone who guesses it can opt numbers out"
        )),
        token => Ok(token),
    }
}

/// Sweeps every [`POLL`] on its own task, for as long as the process runs.
pub fn spawn(store: Arc<dyn Store>, messenger: Arc<dyn Messenger>, tenant: Tenant) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            match feedback_send::sweep(
                store.as_ref(),
                messenger.as_ref(),
                &tenant,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(swept) if swept.sent + swept.not_sent + swept.cancelled > 0 => {
                    tracing::info!(?swept, "sent the due invitations");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the send sweep failed; trying again"),
            }
        }
    });
}
