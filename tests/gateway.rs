//! The deployment as the end-to-end suite would meet it in AWS, short of AWS
//! itself (which cannot be reached from here): each Lambda function's router
//! on its own DynamoDB client, in the functions' gateway auth mode, behind
//! the authorizer function's code, with the notifier and the aggregator
//! each on a client of its own.
//! Every DynamoDB call each function makes is recorded (IAM action, index,
//! leading key) and held to that function's IAM policy in `template.yaml`,
//! and so is every SES and SNS call of the send function's senders (IAM
//! action, and the identity and configuration set it sends by).
//! DynamoDB Local and moto enforce no IAM; without this a missing grant
//! shows up first in production, as an AccessDenied.

use crate::receivers::{CONFIGURATION_SET, MAIL_IDENTITY};
use crate::stack;
use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerV2Request,
    ApiGatewayV2httpRequestContext,
};
use axum::extract::Request;
use axum::http::Method;
use feedback_core::sending::Media;
use feedback_http::{AppState, AuthMode, Function, ROUTES, Tenant, router};
use feedback_store::dynamo::{Call, CallLog};
use feedback_store::{DynamoStore, KeyStore};
use serde_yaml_ng::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// The functions whose calls are recorded, by binary name.
pub const FUNCTIONS: [&str; 7] = [
    "collect",
    "manage",
    "scores",
    "authorizer",
    "notify",
    "aggregate",
    "send",
];

/// Each function's recorded calls.
pub struct Deployment {
    pub logs: BTreeMap<&'static str, CallLog>,
    /// The notifier's store (webhook deliveries and retention run there).
    pub notify: DynamoStore,
    /// The aggregator's store (the stream's changes reach the rollups there).
    pub aggregate: DynamoStore,
    /// The send function's store (its sweeps run there).
    pub send: DynamoStore,
    /// What the stack is configured to send by (`MailFrom`, `SmsSender`).
    pub media: Media,
}

impl Deployment {
    /// One recording DynamoDB client per function, on `table`, for a stack
    /// that sends by `media`.
    pub fn new(config: &aws_types::SdkConfig, table: &str, media: Media) -> Deployment {
        let logs: BTreeMap<_, _> = FUNCTIONS.map(|f| (f, CallLog::default())).into();
        let notify = DynamoStore::recording(config, table, &logs["notify"]);
        let aggregate = DynamoStore::recording(config, table, &logs["aggregate"]);
        let send = DynamoStore::recording(config, table, &logs["send"]);
        Deployment {
            logs,
            notify,
            aggregate,
            send,
            media,
        }
    }

    /// The HTTP API: each route to its function's router, through the
    /// authorizer where the route takes a key.
    /// Behind a CloudFront distribution (`origin`: the secret header it
    /// adds), the functions refuse requests without it.
    pub fn router(
        &self,
        config: &aws_types::SdkConfig,
        table: &str,
        tenant: &Tenant,
        origin: Option<&str>,
    ) -> axum::Router {
        let store = |name: &str| DynamoStore::recording(config, table, &self.logs[name]);
        let authorizer: Arc<dyn KeyStore> = Arc::new(store("authorizer"));
        let mut by_path: BTreeMap<&'static str, Function> = BTreeMap::new();
        for route in ROUTES.iter() {
            let function = *by_path.entry(route.path).or_insert(route.function);
            assert_eq!(
                function, route.function,
                "{} is served by one function",
                route.path
            );
        }
        let functions: BTreeMap<&str, axum::Router> = Function::ALL
            .iter()
            .map(|&f| {
                let mut state =
                    AppState::new(Arc::new(store(f.name())), tenant.clone(), AuthMode::Gateway)
                        .with_media(self.media);
                if let Some(secret) = origin {
                    state = state.with_origin_secret(secret);
                }
                (f.name(), router(&[f], state))
            })
            .collect();
        let mut api = axum::Router::new();
        for (path, function) in by_path {
            let function = functions[function.name()].clone();
            let authorizer = Arc::clone(&authorizer);
            let service = tower::service_fn(move |request: Request| {
                let (function, authorizer) = (function.clone(), Arc::clone(&authorizer));
                async move {
                    let request = through_gateway(path, request, authorizer.as_ref()).await;
                    function.oneshot(request).await
                }
            });
            api = api.route_service(path, service);
        }
        // In AWS the gateway answers an unknown route itself (404,
        // `{"message":"Not Found"}`); the functions' own 404 stands in here.
        api.fallback(|| async { feedback_http::ApiError::NotFound("no such route") })
    }

    /// Adds each function's calls to the record kept in `dir`, one file per
    /// server, for [`unused_grants`] to read once every suite has run.
    pub fn save_calls(&self, dir: &Path) {
        let mut lines = String::new();
        for (function, log) in &self.logs {
            for call in log.calls() {
                let index = call.index.as_deref().unwrap_or("-");
                let key = call.leading_key.as_deref().unwrap_or("-");
                lines.push_str(&format!("{function}\t{}\t{index}\t{key}\n", call.action));
            }
        }
        std::fs::create_dir_all(dir).expect("the calls directory");
        let file = dir.join(format!("{}.tsv", uuid::Uuid::new_v4()));
        std::fs::write(file, lines).expect("the calls file");
    }

    /// Every SES and SNS call in `calls` that the send function's policy
    /// does not allow.
    pub fn denied_aws(&self, calls: &AwsCalls) -> Vec<String> {
        aws_denied(&policies()["send"], calls.calls())
    }

    /// Every recorded call that the function's policy does not allow.
    pub fn denied(&self) -> Vec<String> {
        let policies = policies();
        let mut denied = Vec::new();
        for (function, log) in &self.logs {
            let statements = &policies[*function];
            for call in log.calls() {
                if !statements.iter().any(|s| s.allows(&call)) {
                    denied.push(format!("{function}: {call:?}"));
                }
            }
        }
        denied
    }
}

/// One SES or SNS call: the IAM action, and each resource IAM checks it
/// against, as the service and the ARN's resource (`ses:identity/…`,
/// `ses:configuration-set/…`), or `*` for what has no ARN (phone numbers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AwsCall {
    pub action: &'static str,
    pub resources: Vec<String>,
}

/// The SES and SNS calls recorded so far, each kind once.
#[derive(Debug, Clone, Default)]
pub struct AwsCalls(Arc<Mutex<BTreeSet<AwsCall>>>);

impl AwsCalls {
    pub fn calls(&self) -> BTreeSet<AwsCall> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// An interceptor for an SES or SNS client that records its calls here.
    pub fn recorder(&self) -> AwsRecorder {
        AwsRecorder(self.clone())
    }
}

#[derive(Debug)]
pub struct AwsRecorder(AwsCalls);

impl aws_smithy_runtime_api::client::interceptors::Intercept for AwsRecorder {
    fn name(&self) -> &'static str {
        "AwsRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use aws_sdk_sesv2::operation::send_email::SendEmailInput;
        use aws_sdk_sns::operation::check_if_phone_number_is_opted_out::CheckIfPhoneNumberIsOptedOutInput;
        use aws_sdk_sns::operation::publish::PublishInput;
        let input = context.input();
        let any = || vec!["*".to_owned()];
        let call = if let Some(send) = input.downcast_ref::<SendEmailInput>() {
            // SES checks the identity the From address is verified by (the
            // harness verifies its domain) and the configuration set.
            let from = send.from_email_address().unwrap_or_default();
            let domain = from.rsplit_once('@').map_or(from, |(_, d)| d);
            let mut resources = vec![format!("ses:identity/{domain}")];
            resources.extend(
                send.configuration_set_name()
                    .map(|set| format!("ses:configuration-set/{set}")),
            );
            AwsCall {
                action: "ses:SendEmail",
                resources,
            }
        } else if input.downcast_ref::<PublishInput>().is_some() {
            AwsCall {
                action: "sns:Publish",
                resources: any(),
            }
        } else if input
            .downcast_ref::<CheckIfPhoneNumberIsOptedOutInput>()
            .is_some()
        {
            AwsCall {
                action: "sns:CheckIfPhoneNumberIsOptedOut",
                resources: any(),
            }
        } else {
            // Denied by every policy, so the check names it.
            AwsCall {
                action: "an operation the recorder does not know",
                resources: any(),
            }
        };
        (self.0.0.lock().unwrap_or_else(|e| e.into_inner())).insert(call);
        Ok(())
    }
}

/// A resource of an SES or SNS statement as [`AwsCall`] names them, with
/// the harness stack's parameters.
fn aws_resource(text: &str) -> String {
    text.strip_prefix("!Sub ")
        .unwrap_or(text)
        .replace("arn:${AWS::Partition}:", "")
        .replace(":${AWS::Region}:${AWS::AccountId}:", ":")
        .replace("${MailIdentity}", MAIL_IDENTITY)
        .replace("${MailConfigurationSet}", CONFIGURATION_SET)
}

/// The calls `statements` do not allow: each resource of a call must be
/// granted its action by some statement, as IAM checks them.
fn aws_denied(statements: &[Statement], calls: BTreeSet<AwsCall>) -> Vec<String> {
    let grants = |action: &str, resource: &str| {
        statements.iter().any(|s| {
            s.actions.contains(action)
                && s.resources.iter().any(|r| match r {
                    Resource::Other(text) => {
                        let granted = aws_resource(text);
                        granted == "*" || granted == resource
                    }
                    _ => false,
                })
        })
    };
    calls
        .into_iter()
        .filter(|c| !c.resources.iter().all(|r| grants(c.action, r)))
        .map(|c| format!("send: {c:?}"))
        .collect()
}

/// Every DynamoDB grant of `template.yaml` that no call recorded in `dir`
/// used: per statement, each action, each table or index, and each
/// leading-key pattern must have been needed by some call of that function.
/// A grant no test needs is either dead (drop it) or a path no test takes
/// (test it).
pub fn unused_grants(dir: &Path) -> Vec<String> {
    let mut made: BTreeMap<String, BTreeSet<Call>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("the calls directory") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let [function, action, index, key] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("a malformed calls line: {line}");
            };
            let optional = |v: &str| (v != "-").then(|| v.to_owned());
            made.entry(function.to_owned()).or_default().insert(Call {
                // The actions are few and fixed; the record outlives no test.
                action: String::leak(action.to_owned()),
                index: optional(index),
                leading_key: optional(key),
            });
        }
    }
    assert!(
        !made.is_empty(),
        "no calls were recorded in {}",
        dir.display()
    );
    let mut unused = Vec::new();
    for (function, statements) in policies() {
        let calls = made.get(&function).cloned().unwrap_or_default();
        for statement in statements.iter().filter(|s| s.is_dynamodb()) {
            let used = calls
                .iter()
                .filter(|c| statement.allows(c))
                .collect::<Vec<_>>();
            for action in &statement.actions {
                let by = used
                    .iter()
                    .filter(|c| c.action == action)
                    .collect::<Vec<_>>();
                for resource in &statement.resources {
                    if !by.iter().any(|c| resource_of(c) == *resource) {
                        unused.push(format!("{function}: {action} on {resource:?}"));
                    }
                }
                for pattern in statement.leading_keys.iter().flatten() {
                    let keyed =
                        |c: &&&Call| c.leading_key.as_deref().is_some_and(|k| like(pattern, k));
                    if !by.iter().any(keyed) {
                        unused.push(format!("{function}: {action} on {pattern}"));
                    }
                }
            }
        }
    }
    unused
}

/// What API Gateway adds to a request before the function sees it: the
/// request context with the client's address and, on a route that takes a
/// key, the authorizer's answer (a refused key reaches the function with no
/// authorizer context, and the function refuses it; in AWS the gateway
/// would answer for it).
async fn through_gateway(path: &str, request: Request, authorizer: &dyn KeyStore) -> Request {
    let method = match request.method() {
        m if m == Method::HEAD => Method::GET,
        m => m.clone(),
    };
    let keyed = ROUTES
        .iter()
        .any(|r| r.path == path && r.method == method && r.scope.is_some());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(format!("{method} {path}"));
    context.stage = Some("$default".into());
    context.http.method = method;
    context.http.path = Some(request.uri().path().to_owned());
    // The harness names each customer's address as a proxy would.
    context.http.source_ip = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .or(Some("127.0.0.1".into()));
    if keyed && let Some(authorization) = request.headers().get("authorization").cloned() {
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.headers.insert("authorization", authorization);
        event.route_key = context.route_key.clone();
        let answer = feedback_authorizer::authorize(authorizer, &event)
            .await
            .expect("the authorizer answers");
        if answer.is_authorized {
            let mut granted = ApiGatewayRequestAuthorizer::default();
            granted.fields = serde_json::from_value(answer.context).unwrap();
            context.authorizer = Some(granted);
        }
    }
    // The function gets a fresh request, as a Lambda does: no trace of the
    // emulator's own routing (its matched path and path parameters).
    let (parts, body) = request.into_parts();
    let mut fresh = Request::new(body);
    *fresh.method_mut() = parts.method;
    *fresh.uri_mut() = parts.uri;
    *fresh.version_mut() = parts.version;
    *fresh.headers_mut() = parts.headers;
    fresh
        .extensions_mut()
        .insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
    fresh
}

/// Where a statement applies.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Resource {
    Table,
    Index(String),
    Other(String),
}

/// One `Allow` statement of a function's policy.
#[derive(Debug)]
struct Statement {
    actions: BTreeSet<String>,
    resources: BTreeSet<Resource>,
    /// `ForAllValues:StringLike` `dynamodb:LeadingKeys` patterns, if any.
    leading_keys: Option<Vec<String>>,
}

/// The table or index `call` reads or writes.
fn resource_of(call: &Call) -> Resource {
    match &call.index {
        None => Resource::Table,
        Some(index) => Resource::Index(index.clone()),
    }
}

impl Statement {
    /// Whether it grants DynamoDB actions on the table or its indexes (and
    /// not, say, reading the stream).
    fn is_dynamodb(&self) -> bool {
        self.actions.iter().all(|a| a.starts_with("dynamodb:"))
            && self
                .resources
                .iter()
                .all(|r| !matches!(r, Resource::Other(_)))
    }

    fn allows(&self, call: &Call) -> bool {
        let resource = resource_of(call);
        // ForAllValues holds for a request with no leading key at all, as
        // in IAM.
        let key_ok = match (&self.leading_keys, &call.leading_key) {
            (None, _) | (Some(_), None) => true,
            (Some(patterns), Some(key)) => patterns.iter().any(|p| like(p, key)),
        };
        self.actions.contains(call.action) && self.resources.contains(&resource) && key_ok
    }
}

/// IAM's `StringLike` with `*` (no `?` is used in the template).
fn like(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, rest)) => {
            value.starts_with(head)
                && (0..=value.len() - head.len()).any(|i| {
                    value.is_char_boundary(head.len() + i) && like(rest, &value[head.len() + i..])
                })
        }
    }
}

fn strings(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(items) => items.iter().flat_map(strings).collect(),
        Yaml::Tagged(tagged) => vec![format!(
            "{} {}",
            tagged.tag,
            strings(&tagged.value).join(" ")
        )],
        other => panic!("unexpected {other:?}"),
    }
}

fn resource(text: &str) -> Resource {
    match text {
        "!GetAtt Table.Arn" => Resource::Table,
        other => match other.strip_prefix("!Sub ${Table.Arn}/index/") {
            Some(index) => Resource::Index(index.to_owned()),
            None => Resource::Other(other.to_owned()),
        },
    }
}

/// Each function's policy statements in `template.yaml`, by binary name.
fn policies() -> BTreeMap<String, Vec<Statement>> {
    let mut policies = BTreeMap::new();
    for (binary, resource_def) in stack::functions(&stack::template()) {
        let mut statements = Vec::new();
        for policy in resource_def["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            // A conditional policy (`!If [Condition, policy, NoValue]`) as a
            // stack that meets its condition has it.
            let policy = match policy {
                Yaml::Tagged(tagged) if tagged.tag == "If" => &tagged.value[1],
                other => other,
            };
            for s in policy["Statement"].as_sequence().into_iter().flatten() {
                assert_eq!(s["Effect"], "Allow", "only Allow statements are expected");
                let condition = &s["Condition"];
                let leading_keys = (!condition.is_null()).then(|| {
                    strings(&condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
                });
                statements.push(Statement {
                    actions: strings(&s["Action"]).into_iter().collect(),
                    resources: strings(&s["Resource"])
                        .iter()
                        .map(|r| resource(r))
                        .collect(),
                    leading_keys,
                });
            }
        }
        policies.insert(binary, statements);
    }
    policies
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SES and SNS check denies what the send function's policy does
    /// not grant: another identity, a configuration set of another name,
    /// an operation it does not know.
    #[test]
    fn ses_and_sns_calls_are_held_to_their_resources() {
        let statements = &policies()["send"];
        let call = |action, resources: &[&str]| AwsCall {
            action,
            resources: resources.iter().map(|r| r.to_string()).collect(),
        };
        let granted = [
            call(
                "ses:SendEmail",
                &[
                    "ses:identity/chai.example",
                    "ses:configuration-set/feedback-chai",
                ],
            ),
            call("sns:Publish", &["*"]),
            call("sns:CheckIfPhoneNumberIsOptedOut", &["*"]),
        ];
        assert_eq!(aws_denied(statements, granted.into()), Vec::<String>::new());
        for denied in [
            call("ses:SendEmail", &["ses:identity/other.example"]),
            call(
                "ses:SendEmail",
                &["ses:identity/chai.example", "ses:configuration-set/another"],
            ),
            call("ses:SendBulkEmail", &["ses:identity/chai.example"]),
            call("an operation the recorder does not know", &["*"]),
        ] {
            assert_eq!(
                aws_denied(statements, [denied.clone()].into()).len(),
                1,
                "{denied:?}"
            );
        }
    }

    #[test]
    fn string_like_matches_as_iam_does() {
        assert!(like("INV#*", "INV#abc"));
        assert!(like("INV#*", "INV#"));
        assert!(!like("INV#*", "INVX"));
        assert!(like("REP", "REP") && !like("REP", "REPS"));
        assert!(like("DLV#*#x", "DLV#a#b#x"));
    }

    /// The template's `dynamodb:LeadingKeys` patterns are partitions the
    /// store makes (`dynamo::keys::PARTITIONS`): a typo there would deny
    /// nothing the tests make and everything in production.
    #[test]
    fn every_leading_key_pattern_is_a_partition_of_the_store() {
        let known: BTreeSet<&str> = feedback_store::dynamo::keys::PARTITIONS
            .iter()
            .map(|(pattern, _)| *pattern)
            .collect();
        for (function, statements) in policies() {
            for pattern in statements
                .iter()
                .flat_map(|s| s.leading_keys.iter().flatten())
            {
                let within = known.contains(pattern.as_str())
                    || known.iter().any(|k| k.ends_with('*') && like(k, pattern));
                assert!(within, "{function}: {pattern}");
            }
        }
    }

    #[test]
    fn a_grant_no_recorded_call_needed_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("one.tsv"),
            "collect\tdynamodb:GetItem\t-\tINV#x\n",
        )
        .unwrap();
        let unused = unused_grants(dir.path());
        assert!(unused.contains(&"collect: dynamodb:GetItem on REP".to_owned()));
        assert!(unused.contains(&"manage: dynamodb:GetItem on INV#*".to_owned()));
        assert!(
            !unused
                .iter()
                .any(|u| u == "collect: dynamodb:GetItem on INV#*")
        );
        assert!(
            !unused
                .iter()
                .any(|u| u == "collect: dynamodb:GetItem on Table")
        );
    }

    #[test]
    fn every_function_has_a_policy_the_checker_can_read() {
        let policies = policies();
        for function in FUNCTIONS {
            assert!(!policies[function].is_empty(), "{function}");
        }
        let collect = &policies["collect"];
        let call = |action, key: &str| Call {
            action,
            index: None,
            leading_key: Some(key.into()),
        };
        assert!(
            collect
                .iter()
                .any(|s| s.allows(&call("dynamodb:GetItem", "INV#x")))
        );
        assert!(
            !collect
                .iter()
                .any(|s| s.allows(&call("dynamodb:GetItem", "KEY")))
        );
        assert!(
            !collect
                .iter()
                .any(|s| s.allows(&call("dynamodb:Scan", "INV#x")))
        );
    }
}
