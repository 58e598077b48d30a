//! How a [`DynamoStore`](super::DynamoStore) reaches DynamoDB: the HTTPS
//! client, the region and credentials, and the deadlines of each call.
//!
//! Built on `aws-types`' `SdkConfig` rather than with `aws-config`'s
//! loader: a Lambda function finds its region and its role's credentials
//! in its environment, and the loader's default chain (profile files,
//! IMDS, ECS, web identity through STS) is code a function never runs,
//! some 0.4 MB of every bootstrap by `cargo bloat` (BENCHMARKS.md, "Lean
//! Lambdas"). The local server, which may run on a workstation with a
//! profile, brings that chain itself.

use crate::StoreError;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, Credentials, Region, SharedCredentialsProvider, SharedHttpClient,
};
use aws_types::SdkConfig;
use std::time::Duration;

/// The HTTPS client every SDK client here uses: reqwest, HTTP/1.1 over
/// rustls on ring (no SDK crate brings a default client; see
/// [`super::http_client`] and docs/decisions/0009).
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(super::http_client::ReqwestClient::default())
}

/// A configuration for a DynamoDB Local at `endpoint`, which takes any
/// credentials and region: placeholders for both.
pub fn local_config(endpoint: &str) -> SdkConfig {
    local(endpoint, None, None)
}

/// The configuration a function's environment gives: the region from
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`), the credentials from
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
/// (Lambda sets all of them for the function's role, for the life of the
/// execution environment), and `endpoint` when given. A local endpoint
/// takes placeholders for what is not set.
pub fn env_config(endpoint: Option<&str>) -> Result<SdkConfig, StoreError> {
    config_from(endpoint, |name| std::env::var(name).ok())
}

/// [`env_config`] with the environment's variables read through `env`.
fn config_from(
    endpoint: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<SdkConfig, StoreError> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .map(Region::new);
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Some(SharedCredentialsProvider::new(Credentials::new(
            key,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        ))),
        _ => None,
    };
    if let Some(endpoint) = endpoint {
        return Ok(local(endpoint, region, credentials));
    }
    let region =
        region.ok_or_else(|| StoreError::internal("no region: set AWS_REGION (Lambda sets it)"))?;
    let credentials = credentials.ok_or_else(|| {
        StoreError::internal(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
             (Lambda sets them for the function's role)",
        )
    })?;
    Ok(builder()
        .region(region)
        .credentials_provider(credentials)
        .build())
}

/// A DynamoDB Local at `endpoint`, with placeholders for the region and
/// credentials not given (it takes any).
fn local(
    endpoint: &str,
    region: Option<Region>,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    let credentials = credentials.unwrap_or_else(|| {
        SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "local"))
    });
    builder()
        .endpoint_url(endpoint)
        .region(region.unwrap_or_else(|| Region::new("us-east-1")))
        .credentials_provider(credentials)
        .build()
}

fn builder() -> aws_types::sdk_config::Builder {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
}

/// How long one DynamoDB call may take. The SDK has no deadline of its own:
/// a store that stops answering would hold a request until Lambda kills the
/// function at its 10 s timeout. A connect gets 2 s (a cold TLS handshake
/// at 128 MB takes under 1 s), an attempt 2 s, a call with its retries 4 s;
/// the HTTP layer's request deadline stays under the function's timeout.
pub(super) fn timeouts() -> aws_smithy_types::timeout::TimeoutConfig {
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::ProvideCredentials;
    use std::collections::HashMap;

    fn from_vars(endpoint: Option<&str>, vars: &[(&str, &str)]) -> Result<SdkConfig, StoreError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        config_from(endpoint, |name| vars.get(name).cloned())
    }

    async fn credentials(config: &SdkConfig) -> Credentials {
        let provider = config
            .credentials_provider()
            .expect("a credentials provider");
        provider.provide_credentials().await.unwrap()
    }

    #[tokio::test]
    async fn a_functions_environment_gives_its_region_and_its_roles_credentials() {
        let config = from_vars(
            None,
            &[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
                ("AWS_SESSION_TOKEN", "token"),
            ],
        )
        .unwrap();
        assert_eq!(config.region().unwrap().as_ref(), "eu-west-1");
        assert!(config.endpoint_url().is_none());
        assert!(config.http_client().is_some());
        let credentials = credentials(&config).await;
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.secret_access_key(), "secret");
        assert_eq!(credentials.session_token(), Some("token"));
    }

    #[tokio::test]
    async fn the_default_region_stands_in_for_a_missing_one() {
        let config = from_vars(
            None,
            &[
                ("AWS_REGION", ""),
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
            ],
        )
        .unwrap();
        assert_eq!(config.region().unwrap().as_ref(), "us-west-2");
        assert_eq!(credentials(&config).await.session_token(), None);
    }

    #[test]
    fn without_a_region_or_credentials_aws_is_not_reached() {
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ];
        let error = from_vars(None, &keys).unwrap_err().to_string();
        assert!(error.contains("AWS_REGION"), "{error}");
        let error = from_vars(None, &[("AWS_REGION", "eu-west-1"), keys[0]])
            .unwrap_err()
            .to_string();
        assert!(error.contains("AWS_SECRET_ACCESS_KEY"), "{error}");
    }

    #[tokio::test]
    async fn a_local_endpoint_takes_placeholders_for_what_is_not_set() {
        let config = from_vars(Some("http://127.0.0.1:8000"), &[]).unwrap();
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:8000"));
        assert_eq!(config.region().unwrap().as_ref(), "us-east-1");
        assert_eq!(credentials(&config).await.access_key_id(), "local");

        let config = from_vars(
            Some("http://127.0.0.1:8000"),
            &[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
            ],
        )
        .unwrap();
        assert_eq!(config.region().unwrap().as_ref(), "eu-west-1");
        assert_eq!(credentials(&config).await.access_key_id(), "AKIDEXAMPLE");
    }
}
