//! `template.yaml` describes what the code serves and stores: its HTTP routes
//! are exactly the route table's, its functions exactly the Lambda crates,
//! and its table exactly what `DynamoStore::create_table` makes (compared on
//! DynamoDB Local, the same way a deployment would see it).

use feedback_e2e::stack::{functions, root, template};
use feedback_http::{Function, ROUTES};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn template_routes_are_exactly_the_routes_served() {
    let t = template();
    let mut declared = BTreeSet::new();
    for (binary, resource) in functions(&t) {
        for event in resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if event["Type"] != "HttpApi" {
                assert!(
                    ["notify", "aggregate", "send"].contains(&binary.as_str()),
                    "only the stream and schedule functions have non-HTTP events"
                );
                continue;
            }
            let p = &event["Properties"];
            let public = p["Auth"]["Authorizer"] == "NONE";
            declared.insert((
                binary.clone(),
                p["Method"].as_str().unwrap().to_owned(),
                p["Path"].as_str().unwrap().to_owned(),
                public,
            ));
        }
    }
    let served: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.function.name().to_owned(),
                r.method.to_string(),
                r.path.to_owned(),
                r.scope.is_none(),
            )
        })
        .collect();
    assert_eq!(
        declared, served,
        "(function, method, path, public) in template.yaml vs the route table"
    );
}

#[test]
fn every_function_crate_is_in_the_template_and_back() {
    let t = template();
    let in_template: BTreeSet<String> = functions(&t).into_keys().collect();
    // A Lambda crate is a binary crate under functions/ other than the local server.
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("src/main.rs").exists() && e.file_name() != "local")
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(in_template, crates);
    for f in Function::ALL {
        assert!(in_template.contains(f.name()), "{}", f.name());
    }
    for (binary, resource) in functions(&t) {
        // Built by the Makefile at the root, in the function's own crate.
        assert_eq!(resource["Metadata"]["BuildMethod"], "makefile", "{binary}");
        assert_eq!(resource["Metadata"]["ContextPath"], ".", "{binary}");
        assert_eq!(
            resource["Properties"]["CodeUri"],
            format!("functions/{binary}"),
            "{binary}"
        );
    }
    // The Makefile's one cargo invocation builds every function, and only
    // those: the local server's features would reach the functions' crates.
    let makefile = std::fs::read_to_string(root().join("Makefile")).unwrap();
    let built: BTreeSet<String> = makefile
        .lines()
        .find_map(|l| l.strip_prefix("functions := "))
        .expect("the Makefile lists the functions it builds")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(built, in_template);
    // In place: a copy of a function's directory is outside the workspace.
    let samconfig = std::fs::read_to_string(root().join("samconfig.toml")).unwrap();
    assert!(samconfig.lines().any(|l| l == "build_in_source = true"));
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Architectures"][0], "arm64");
}

/// The properties of `binary`'s mapping on the table's stream, which
/// sends the batches it gives up on to a dead-letter queue.
fn stream_mapping(t: &Value, binary: &str) -> Value {
    let stream = &functions(t)[binary]["Properties"]["Events"]["Stream"];
    assert_eq!(stream["Type"], "DynamoDB", "{binary}");
    let p = &stream["Properties"];
    assert_eq!(
        serde_yaml_ng::to_string(&p["Stream"]).unwrap().trim(),
        "!GetAtt Table.StreamArn"
    );
    assert_eq!(p["DestinationConfig"]["OnFailure"]["Type"], "SQS");
    assert!(p["MaximumRetryAttempts"].as_u64().is_some_and(|n| n > 0));
    p.clone()
}

#[test]
fn notify_reads_the_table_stream_reports_item_failures_and_retries_on_a_schedule() {
    let t = template();
    let p = stream_mapping(&t, "notify");
    assert_eq!(p["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert_eq!(
        functions(&t)["notify"]["Properties"]["Events"]["Retries"]["Type"],
        "Schedule"
    );
    assert_eq!(
        t["Resources"]["Table"]["Properties"]["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
}

#[test]
fn send_runs_every_minute_and_sends_only_as_the_tenant_configured() {
    let t = template();
    let send = &functions(&t)["send"]["Properties"];
    let due = &send["Events"]["Due"];
    assert_eq!(
        (&due["Type"], &due["Properties"]["Schedule"]),
        (&Value::from("Schedule"), &Value::from("rate(1 minute)"))
    );
    // Every message links to the customer pages: with no request to take
    // a host from, the function is always given the public URL.
    let base =
        serde_yaml_ng::to_string(&send["Environment"]["Variables"]["PUBLIC_BASE_URL"]).unwrap();
    assert!(
        base.contains("execute-api") && base.contains("DomainName"),
        "{base}"
    );
    // SES and SNS only where the tenant file asks for them, SES only from
    // its verified identity.
    let policies = serde_yaml_ng::to_string(&send["Policies"]).unwrap();
    for expected in [
        "SendsEmail",
        "ses:SendEmail",
        "identity/${MailIdentity}",
        "SendsSms",
        "sns:Publish",
        "sns:CheckIfPhoneNumberIsOptedOut",
    ] {
        assert!(policies.contains(expected), "{expected} in {policies}");
    }
    assert!(!policies.contains("ses:*") && !policies.contains("sns:*"));
    // The HTTP functions learn what the stack sends by from the same
    // variables the send function reads.
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert!(!globals["MAIL_FROM"].is_null() && !globals["SMS_ENABLED"].is_null());
    // The alarm counts the line the sweep logs for a message that failed
    // for good.
    let failures = &t["Resources"]["SendFailures"]["Properties"];
    assert_eq!(
        t["Resources"]["SendFailuresAlarm"]["Properties"]["MetricName"],
        failures["MetricTransformations"][0]["MetricName"]
    );
    let logged = include_str!("../functions/app/src/sending.rs");
    let pattern = failures["FilterPattern"]
        .as_str()
        .unwrap()
        .trim_matches('"');
    assert!(logged.contains(&format!("\"{pattern}\");")), "{pattern}");
}

/// SES reports what became of the e-mails after taking them to the send
/// function: permanent bounces and complaints, for the configuration set
/// every message goes through, on a topic only SES may publish to.
#[test]
fn ses_reports_bounces_and_complaints_to_the_send_function() {
    let t = template();
    let resources = &t["Resources"];
    let yaml = |v: &Value| serde_yaml_ng::to_string(v).unwrap();
    for name in [
        "MailConfigurationSet",
        "MailReports",
        "MailReportsPolicy",
        "MailReportsDestination",
        "MailReportsSubscription",
        "MailReportsPermission",
    ] {
        assert_eq!(resources[name]["Condition"], "SendsEmail", "{name}");
    }
    let set = &resources["MailConfigurationSet"]["Properties"];
    assert_eq!(
        yaml(&set["SuppressionOptions"]["SuppressedReasons"]),
        "- BOUNCE\n- COMPLAINT\n"
    );
    let destination = &resources["MailReportsDestination"]["Properties"];
    assert!(yaml(&destination["ConfigurationSetName"]).contains("MailConfigurationSet"));
    let event = &destination["EventDestination"];
    assert_eq!(
        yaml(&event["MatchingEventTypes"]),
        "- bounce\n- complaint\n"
    );
    assert!(yaml(&event["SnsDestination"]["TopicARN"]).contains("MailReports"));
    let policy = yaml(&resources["MailReportsPolicy"]["Properties"]);
    for expected in [
        "ses.amazonaws.com",
        "AWS:SourceAccount",
        "configuration-set/${MailConfigurationSet}",
    ] {
        assert!(policy.contains(expected), "{expected} in {policy}");
    }
    let subscription = &resources["MailReportsSubscription"]["Properties"];
    assert_eq!(subscription["Protocol"], "lambda");
    assert!(yaml(&subscription["Endpoint"]).contains("SendFunction.Arn"));
    let permission = yaml(&resources["MailReportsPermission"]["Properties"]);
    assert!(
        permission.contains("SendFunction") && permission.contains("SourceArn: !Ref MailReports"),
        "{permission}"
    );
    // The function sends through the set, and may: SES checks the set's
    // ARN as well as the identity's.
    let send = &functions(&t)["send"]["Properties"];
    assert!(
        yaml(&send["Environment"]["Variables"]["MAIL_CONFIGURATION_SET"])
            .contains("MailConfigurationSet")
    );
    assert!(yaml(&send["Policies"]).contains("configuration-set/${MailConfigurationSet}"));
}

#[test]
fn aggregate_reads_every_counted_change_from_the_oldest_with_its_shard_and_a_dead_letter_queue() {
    let t = template();
    let p = stream_mapping(&t, "aggregate");
    // Nothing written before the mapping starts may be missed.
    assert_eq!(p["StartingPosition"], "TRIM_HORIZON");
    // The shard id is in the event only with a tumbling window, and the
    // checkpoint is per shard: one batch per shard at a time.
    assert!(p["TumblingWindowInSeconds"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(p["ParallelizationFactor"], 1);
    // A transaction takes 100 items; a batch is cut to fit, whatever its size.
    assert!(p["BatchSize"].as_u64().is_some_and(|n| n <= 10_000));
    // The filter passes exactly the items the aggregator counts.
    let pattern: serde_json::Value = serde_json::from_str(
        p["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        pattern,
        serde_json::json!({"dynamodb": {"NewImage": {
            feedback_store::dynamo::COUNTED_BY_STREAM: {"BOOL": [true]}
        }}})
    );
    for alarm in ["AggregateDeadLettersAlarm", "AggregateIteratorAgeAlarm"] {
        assert_eq!(
            t["Resources"][alarm]["Type"], "AWS::CloudWatch::Alarm",
            "{alarm}"
        );
    }
}

#[test]
fn only_the_collect_function_may_write_responses_without_a_key_and_it_cannot_read_scores_or_keys() {
    let t = template();
    let collect = &functions(&t)["collect"];
    let statements = collect["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap();
    for statement in statements {
        let actions: Vec<&str> = match &statement["Action"] {
            Value::String(a) => vec![a.as_str()],
            Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => panic!("actions"),
        };
        assert!(
            !actions.contains(&"dynamodb:Query") && !actions.contains(&"dynamodb:Scan"),
            "{actions:?}"
        );
        let keys: Vec<&str> =
            statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                .as_sequence()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
        assert!(!keys.iter().any(|k| k.starts_with("KEY")), "{keys:?}");
        if actions.contains(&"dynamodb:GetItem") {
            assert!(
                !keys.iter().any(|k| k.starts_with("ROLL")),
                "collect may not read rollups: {keys:?}"
            );
        }
    }
}

/// (attribute, key type) pairs of an SDK key schema.
/// The README promises a client's address is never kept: the API's access
/// log must not write it (nor the raw path, which carries customers' codes).
#[test]
fn access_logs_keep_no_client_address_or_customer_code() {
    let t = template();
    let apis: Vec<&Value> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::HttpApi")
        .collect();
    assert!(!apis.is_empty());
    for api in apis {
        let format = api["Properties"]["AccessLogSettings"]["Format"]
            .as_str()
            .expect("an access log format");
        for personal in [
            "sourceIp",
            "$context.identity",
            "$context.path",
            "userAgent",
        ] {
            assert!(!format.contains(personal), "{personal} in {format}");
        }
        assert!(format.contains("$context.routeKey"), "{format}");
    }
}

/// The edge (`EdgeProtection=cloudfront`) is wired to what the code reads:
/// the distribution's secret header is the one the HTTP functions require,
/// each HTTP function (and only those) gets the secret, the viewer function
/// sets the header the functions take the client's address from, and the
/// WAF's 429 names the problem type the API uses for it.
#[tokio::test]
async fn the_edge_adds_the_headers_the_functions_read() {
    const SECRET: &str = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}";
    let t = template();
    let r = &t["Resources"];
    let origin = &r["EdgeDistribution"]["Properties"]["DistributionConfig"]["Origins"][0];
    assert_eq!(
        origin["OriginCustomHeaders"][0]["HeaderName"].as_str(),
        Some(feedback_http::middleware::origin::HEADER)
    );
    let secret =
        serde_yaml_ng::to_string(&origin["OriginCustomHeaders"][0]["HeaderValue"]).unwrap();
    assert!(secret.contains(SECRET), "{secret}");
    for (binary, resource) in functions(&t) {
        let env = &resource["Properties"]["Environment"]["Variables"]["ORIGIN_VERIFY"];
        let http = Function::ALL.iter().any(|f| f.name() == binary);
        assert_eq!(!env.is_null(), http, "{binary}: ORIGIN_VERIFY");
        if http {
            let value = serde_yaml_ng::to_string(env).unwrap();
            assert!(
                value.contains("UseEdge") && value.contains(SECRET),
                "{binary}: {value}"
            );
        }
    }
    let code = r["EdgeViewerFunction"]["Properties"]["FunctionCode"]
        .as_str()
        .unwrap();
    assert!(
        code.contains(&format!(
            "headers['{}'] = {{ value: event.viewer.ip }}",
            feedback_http::VIEWER_HEADER
        )),
        "{code}"
    );
    let behaviour =
        &r["EdgeDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"];
    assert_eq!(
        behaviour["FunctionAssociations"][0]["EventType"],
        "viewer-request"
    );
    let methods: BTreeSet<&str> = behaviour["AllowedMethods"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let served: BTreeSet<String> = ROUTES.iter().map(|r| r.method.to_string()).collect();
    assert!(
        served.iter().all(|m| methods.contains(m.as_str())),
        "{methods:?}"
    );
    let body: serde_json::Value = serde_json::from_str(
        r["EdgeWebAcl"]["Properties"]["CustomResponseBodies"]["TooManyRequests"]["Content"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let limited = feedback_http::ApiError::TooManyRequests(60, "x".into());
    use axum::response::IntoResponse;
    let response = limited.into_response();
    assert_eq!(body["status"], response.status().as_u16());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["type"], problem["type"]);
}

fn key_pairs(schema: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> BTreeSet<(String, String)> {
    schema
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect()
}

/// The template's table, compared with the one `create_table` makes.
#[tokio::test]
async fn the_template_table_is_the_table_create_table_makes() {
    let store = feedback_e2e::dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(store.sdk_config());
    let described = client
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .unwrap()
        .table
        .unwrap();

    let t = template();
    let table = &t["Resources"]["Table"]["Properties"];
    let pairs = |v: &Value, a: &str, b: &str| -> BTreeSet<(String, String)> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e[a].as_str().unwrap().to_owned(),
                    e[b].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let made_attrs: BTreeSet<_> = described
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_owned(),
                a.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs(
            &table["AttributeDefinitions"],
            "AttributeName",
            "AttributeType"
        ),
        made_attrs
    );
    let made_keys = key_pairs(described.key_schema());
    assert_eq!(
        pairs(&table["KeySchema"], "AttributeName", "KeyType"),
        made_keys
    );

    let made_indexes: BTreeMap<String, (BTreeSet<(String, String)>, String)> = described
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            let keys = key_pairs(g.key_schema());
            let projection = g
                .projection()
                .and_then(|p| p.projection_type())
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            (g.index_name().unwrap().to_owned(), (keys, projection))
        })
        .collect();
    let declared_indexes: BTreeMap<_, _> = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|g| {
            let projection = g["Projection"]["ProjectionType"]
                .as_str()
                .unwrap()
                .to_owned();
            (
                g["IndexName"].as_str().unwrap().to_owned(),
                (
                    pairs(&g["KeySchema"], "AttributeName", "KeyType"),
                    projection,
                ),
            )
        })
        .collect();
    assert_eq!(declared_indexes, made_indexes);

    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    let billing = described
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map(|b| b.as_str());
    assert_eq!(billing, Some("PAY_PER_REQUEST"));
    let stream = described.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        stream.stream_view_type().unwrap().as_str()
    );

    let ttl = client
        .describe_time_to_live()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let ttl_attr = ttl
        .time_to_live_description()
        .and_then(|d| d.attribute_name())
        .unwrap()
        .to_owned();
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        ttl_attr.as_str()
    );
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    // Only a deployment has these; DynamoDB Local does not model them.
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["DeletionProtectionEnabled"], true);
}

/// Every DynamoDB grant of the template is one some function's code needs:
/// the gateway suites record each function's calls (`IAM_CALLS_DIR`), and
/// each action, table or index, and leading-key pattern of each statement
/// must have been used. `tests/run.sh` runs this after every suite.
#[test]
#[ignore = "needs the calls the gateway suites record; tests/run.sh runs it after them"]
fn every_iam_grant_is_used() {
    let dir = std::env::var_os(feedback_e2e::IAM_CALLS_DIR)
        .expect("IAM_CALLS_DIR names where the gateway suites recorded their calls");
    let unused = feedback_e2e::gateway::unused_grants(Path::new(&dir));
    assert!(
        unused.is_empty(),
        "grants in template.yaml that no call needed (drop them, or test the path that needs them):\n{}",
        unused.join("\n")
    );
}
