//! Loopback receivers for the messages the local server sends: an HTTP SMS
//! gateway and an SMTP server, each keeping what it was given and
//! answering what a case asks of it.
//!
//! The SMTP server is written here rather than taken from a crate: the
//! embeddable ones bring a TLS stack on aws-lc (a C build) for a feature
//! no case uses. It speaks the part of RFC 5321 a client's plain delivery
//! takes (EHLO, MAIL, RCPT, DATA with its dot-stuffing, RSET, NOOP, QUIT);
//! the client on the other end is lettre, as the product ships it.

use serde_json::Value;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The local server's messengers, sending to `sms` and `mail`.
pub fn messengers(sms: &SmsReceiver, mail: &SmtpReceiver) -> feedback_local::sending::Messengers {
    feedback_local::sending::Messengers {
        email: Some(mail.mailer()),
        sms: Some(sms.gateway()),
    }
}

/// What an SMS receiver was given: each body and its `Authorization`.
type Posted = Arc<Mutex<Vec<(Value, Option<String>)>>>;

/// A loopback SMS gateway: keeps every JSON body posted to it (with its
/// `Authorization`), and answers `status` (202 unless a case changes it).
#[derive(Clone)]
pub struct SmsReceiver {
    pub url: String,
    received: Posted,
    status: Arc<AtomicU16>,
}

/// The bearer token the harness's servers give their SMS gateway.
pub const SMS_TOKEN: &str = "gateway-token";
/// The bearer token their SMS gateway forwards replies with.
pub const SMS_REPLIES_TOKEN: &str = "replies-token-0123456789";

impl SmsReceiver {
    pub async fn start() -> SmsReceiver {
        use axum::extract::State;
        use axum::http::{HeaderMap, StatusCode};
        type Kept = (Posted, Arc<AtomicU16>);
        async fn keep(
            State((received, status)): State<Kept>,
            headers: HeaderMap,
            axum::Json(body): axum::Json<Value>,
        ) -> StatusCode {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            received.lock().unwrap().push((body, auth));
            StatusCode::from_u16(status.load(Ordering::SeqCst))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/messages", listener.local_addr().unwrap());
        let received = Arc::default();
        let status = Arc::new(AtomicU16::new(202));
        let app = axum::Router::new()
            .route("/messages", axum::routing::post(keep))
            .with_state((Arc::clone(&received), Arc::clone(&status)));
        tokio::spawn(async move { axum::serve(listener, app).await });
        SmsReceiver {
            url,
            received,
            status,
        }
    }

    /// What was posted so far: each message's body and `Authorization`.
    pub fn received(&self) -> Vec<(Value, Option<String>)> {
        self.received.lock().unwrap().clone()
    }

    /// From now on, answer `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The local server's SMS gateway, sending here.
    pub fn gateway(&self) -> feedback_send::gateway::SmsGateway {
        feedback_send::gateway::SmsGateway::new(&self.url, Some(SMS_TOKEN.into()))
    }
}

/// Who the harness's servers send e-mail as.
pub const MAIL_FROM: &str = "Chai Corner <feedback@chai.example>";

/// A message an SMTP server accepted: its envelope and its data.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// `MAIL FROM` and each accepted `RCPT TO`, without their brackets.
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-stuffing undone.
    pub data: Vec<u8>,
}

impl Mail {
    /// The message, parsed as a mail client would.
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a message")
    }
}

/// A loopback SMTP server: keeps every message it accepts, and answers
/// each `RCPT` with `rcpt` (250 unless a case changes it).
#[derive(Clone)]
pub struct SmtpReceiver {
    pub url: String,
    received: Arc<Mutex<Vec<Mail>>>,
    rcpt: Arc<AtomicU16>,
}

impl SmtpReceiver {
    pub async fn start() -> SmtpReceiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = SmtpReceiver {
            url: format!("smtp://{}", listener.local_addr().unwrap()),
            received: Arc::default(),
            rcpt: Arc::new(AtomicU16::new(250)),
        };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = serving.clone();
                tokio::spawn(async move { session.session(stream).await });
            }
        });
        receiver
    }

    /// What was accepted so far.
    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// From now on, answer each recipient with `code` (550: no such
    /// mailbox, final; 451: try again later).
    pub fn answer(&self, code: u16) {
        self.rcpt.store(code, Ordering::SeqCst);
    }

    /// The local server's mailer, sending here.
    pub fn mailer(&self) -> feedback_send::smtp::SmtpMailer {
        feedback_send::smtp::SmtpMailer::new(&self.url, MAIL_FROM).expect("a mailer")
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 receiver ESMTP\r\n").await?;
        let mut mail = Mail::default();
        let mut line = Vec::new();
        loop {
            line.clear();
            if lines.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let command = String::from_utf8_lossy(&line).trim_end().to_owned();
            let verb = command.get(..4).unwrap_or_default().to_ascii_uppercase();
            let path = || {
                let start = command.find('<').map_or(0, |i| i + 1);
                let end = command.rfind('>').unwrap_or(command.len());
                command.get(start..end).unwrap_or_default().to_owned()
            };
            let reply = match verb.as_str() {
                "EHLO" => "250-receiver\r\n250 HELP\r\n".to_owned(),
                "HELO" | "NOOP" => "250 OK\r\n".to_owned(),
                "RSET" => {
                    mail = Mail::default();
                    "250 OK\r\n".to_owned()
                }
                "MAIL" => {
                    mail = Mail {
                        from: path(),
                        ..Mail::default()
                    };
                    "250 OK\r\n".to_owned()
                }
                "RCPT" => match self.rcpt.load(Ordering::SeqCst) {
                    250 => {
                        mail.to.push(path());
                        "250 OK\r\n".to_owned()
                    }
                    code => format!("{code} not now\r\n"),
                },
                "DATA" if mail.to.is_empty() => "554 no valid recipients\r\n".to_owned(),
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    loop {
                        line.clear();
                        if lines.read_until(b'\n', &mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == b".\r\n" {
                            break;
                        }
                        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                        mail.data.extend_from_slice(unstuffed);
                    }
                    self.received
                        .lock()
                        .unwrap()
                        .push(std::mem::take(&mut mail));
                    "250 OK\r\n".to_owned()
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => "502 not implemented\r\n".to_owned(),
            };
            write.write_all(reply.as_bytes()).await?;
        }
    }
}

/// moto's server, standing in for SES and SNS (AWS itself cannot be
/// reached from here): `tests/run.sh` starts it and names it in
/// `MOTO_ENDPOINT`. It keeps what it was asked to send, which
/// `/moto-api/data.json` lists.
#[derive(Clone)]
pub struct Moto {
    pub endpoint: String,
    /// The SES and SNS calls of the senders [`Moto::senders`] made.
    pub calls: crate::gateway::AwsCalls,
}

/// The SES identity the harness's stacks send from, and the address.
pub const MAIL_IDENTITY: &str = "chai.example";
/// The configuration set the harness's stacks send through, as the
/// template's does: moto takes it (and the message's tags) without
/// checking them, so the cases build SES's reports themselves.
pub const CONFIGURATION_SET: &str = "feedback-chai";

/// An e-mail SES accepted: its envelope, and the message as sent.
#[derive(Debug, Clone)]
pub struct SesMail {
    pub source: String,
    pub destinations: Vec<String>,
    pub raw: String,
}

impl Moto {
    /// moto at `MOTO_ENDPOINT`, with the harness's identity verified in SES
    /// (as the tenant verifies its domain before the first deployment).
    pub async fn new() -> Moto {
        let endpoint = std::env::var("MOTO_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .expect("MOTO_ENDPOINT is not set: run tests/run.sh, which starts moto's server");
        let moto = Moto {
            endpoint,
            calls: Default::default(),
        };
        aws_sdk_sesv2::Client::new(&moto.config())
            .create_email_identity()
            .email_identity(MAIL_IDENTITY)
            .send()
            .await
            .expect("an SES identity in moto");
        moto
    }

    pub fn config(&self) -> aws_types::SdkConfig {
        feedback_store::dynamo::local_config(&self.endpoint)
    }

    /// The `send` function's senders, on moto, their calls recorded in
    /// [`Moto::calls`] for the IAM check.
    pub fn senders(&self) -> feedback_send::aws::AwsMessengers {
        let config = self.config();
        let ses = aws_sdk_sesv2::config::Builder::from(&config)
            .interceptor(self.calls.recorder())
            .build();
        let sns = aws_sdk_sns::config::Builder::from(&config)
            .interceptor(self.calls.recorder())
            .build();
        feedback_send::Senders {
            email: Some(
                feedback_send::aws::Ses::new(
                    aws_sdk_sesv2::Client::from_conf(ses),
                    MAIL_FROM,
                    Some(CONFIGURATION_SET.into()),
                )
                .expect("a sender"),
            ),
            sms: Some(feedback_send::aws::Sns::new(
                aws_sdk_sns::Client::from_conf(sns),
            )),
        }
    }

    async fn data(&self) -> Value {
        reqwest::get(format!("{}/moto-api/data.json", self.endpoint))
            .await
            .and_then(|r| r.error_for_status())
            .expect("moto's data")
            .json()
            .await
            .expect("moto's data as JSON")
    }

    /// The e-mails SES accepted to `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<SesMail> {
        let data = self.data().await;
        let all = data["ses"]["RawMessage"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        all.iter()
            .filter(|m| {
                m["destinations"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|a| a == to))
            })
            .map(|m| SesMail {
                source: m["source"].as_str().unwrap_or_default().to_owned(),
                destinations: (m["destinations"].as_array().into_iter().flatten())
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
                raw: m["raw_data"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// The texts SNS published to `phone`.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        let data = self.data().await;
        let all = data["sns"]["SMS"].as_array().cloned().unwrap_or_default();
        all.iter()
            .filter(|m| m["phone_number"] == phone)
            .filter_map(|m| m["message"].as_str().map(str::to_owned))
            .collect()
    }
}
