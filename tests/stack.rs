//! `template.yaml`, the stack every tenant deploys, as the suites read it.

use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `template.yaml`, parsed.
pub fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("template.yaml parses")
}

/// The template's Lambda functions: binary name → resource. A function's
/// binary is its logical id without `Function`, in lower case, as the
/// Makefile that builds it derives it (`CollectFunction` → `collect`).
pub fn functions(t: &Value) -> BTreeMap<String, Value> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            let id = id.as_str().unwrap();
            let stem = id.strip_suffix("Function").expect(id);
            (stem.to_lowercase(), r.clone())
        })
        .collect()
}
