//! The shape of the code, held as tests: no crate's top-level modules
//! depend on each other in a cycle, no Lambda function links SQLite, and
//! the authorizer and the stream functions link no router or pages.
//!
//! Written here rather than with `cargo modules dependencies --acyclic`:
//! that tool builds on rust-analyzer and takes minutes to install in CI,
//! while the question asked here — which top-level modules does each
//! module's code name through `crate::` — needs only the source text.

use feedback_e2e::stack::{self, root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The crate's top-level modules (`src/x.rs` or `src/x/`), each with its
/// files; the crate roots are not modules of their own.
fn modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap();
        let name = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if !["lib", "main"].contains(&name) {
            modules.entry(name.to_owned()).or_default().push(file);
        }
    }
    modules
}

/// `text` without line comments and without `#[cfg(test)]` items (a test
/// module, a test-only helper): a test may reach anywhere.
fn code_of(text: &str) -> String {
    let uncommented: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut code = uncommented;
    while let Some(start) = code.find("#[cfg(test)]") {
        let Some(open) = code[start..].find('{').map(|i| start + i) else {
            break;
        };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i + 1;
                break;
            }
        }
        code.replace_range(start..end, "");
    }
    code
}

/// The top-level modules `code` names through `crate::`.
fn named(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first segment of each
            // top-level entry.
            let mut depth = 1;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    names.insert(first_segment(&entry));
                    entry.clear();
                    if depth == 0 {
                        break;
                    }
                } else {
                    entry.push(c);
                }
            }
        } else {
            names.insert(first_segment(rest));
        }
    }
    names
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Each module's dependencies on the crate's other top-level modules.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    modules
        .iter()
        .map(|(name, files)| {
            let mut deps = BTreeSet::new();
            for file in files {
                let code = code_of(&std::fs::read_to_string(file).unwrap());
                deps.extend(named(&code));
            }
            deps.retain(|d| d != name && modules.contains_key(d));
            (name.clone(), deps)
        })
        .collect()
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in &self.graph[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut crates = 0;
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        crates += 1;
        let graph = graph(&src);
        let found = cycles(&graph);
        assert!(
            found.is_empty(),
            "{}: modules that depend on each other in a cycle: {found:?}\n{graph:#?}",
            src.display()
        );
    }
    assert!(crates >= 9, "found {crates} crates under functions/");
}

/// The packages each Lambda function's binary links (normal dependencies),
/// by function, resolved as `sam build` builds them: every function of the
/// template in one cargo invocation (the Makefile), which unifies their
/// features.
fn linked_functions() -> BTreeMap<String, BTreeSet<String>> {
    let functions: Vec<String> = stack::functions(&stack::template()).into_keys().collect();
    let args: Vec<&str> = functions.iter().flat_map(|f| ["-p", f.as_str()]).collect();
    // `cargo tree` prints one tree per function but lists a package's
    // dependencies only where it first appears, so the graph is gathered
    // from all the trees and each function's packages are what it reaches.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut roots = Vec::new();
    let mut ancestors: Vec<String> = Vec::new();
    for line in cargo_tree("depth", &args) {
        let digits = line.find(|c: char| !c.is_ascii_digit()).unwrap();
        let depth: usize = line[..digits].parse().unwrap();
        let package = line[digits..].split(' ').next().unwrap().to_owned();
        ancestors.truncate(depth);
        match ancestors.last() {
            Some(parent) => {
                graph
                    .entry(parent.clone())
                    .or_default()
                    .insert(package.clone());
            }
            None => roots.push(package.clone()),
        }
        ancestors.push(package);
    }
    roots.sort();
    assert_eq!(roots, functions, "one tree per function");
    let reached = |root: String| {
        let mut seen = BTreeSet::from([root.clone()]);
        let mut next = vec![root];
        while let Some(package) = next.pop() {
            for dep in graph.get(&package).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    next.push(dep.clone());
                }
            }
        }
        seen
    };
    roots.into_iter().map(|r| (r.clone(), reached(r))).collect()
}

/// The packages `cargo tree` lists with `args` (normal dependencies).
fn tree(args: &[&str]) -> Vec<String> {
    cargo_tree("none", args)
        .iter()
        .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

/// `cargo tree`'s lines for `args`: normal dependencies, each line a
/// package with the given `--prefix`.
fn cargo_tree(prefix: &str, args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-e", "normal", "--prefix", prefix])
        .args(args)
        .args(["--format", "{p}"])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Each Lambda function links the DynamoDB store and never SQLite: the
/// store's backends are cargo features, and only the local server asks
/// for `sqlite`. Nor does one link the stream reader: in AWS, event source
/// mappings read the stream.
#[test]
fn no_lambda_function_links_sqlite() {
    for (function, packages) in linked_functions() {
        assert!(
            packages.iter().any(|p| p == "aws-sdk-dynamodb"),
            "{function}: {packages:?}"
        );
        for local_only in ["rusqlite", "libsqlite3-sys", "aws-sdk-dynamodbstreams"] {
            assert!(
                !packages.iter().any(|p| p == local_only),
                "{function} links {local_only}"
            );
        }
    }
    assert!(
        tree(&["-p", "feedback-local"])
            .iter()
            .any(|p| p == "rusqlite")
    );
}

/// Nothing links ICU4X's Unicode tables for host names: `url` maps hosts
/// through the ASCII-only idna adapter (Cargo.toml, `idna_adapter`).
#[test]
fn no_function_links_unicode_tables_for_host_names() {
    let mut linked = linked_functions();
    linked.insert("the local server".into(), tree(&[]).into_iter().collect());
    for (function, packages) in linked {
        assert!(packages.iter().any(|p| p == "url"), "{function}");
        let icu: Vec<_> = packages.iter().filter(|p| p.starts_with("icu_")).collect();
        assert!(icu.is_empty(), "{function} links {icu:?}");
    }
}

/// `cargo run --release` at the root builds the workspace's default
/// members: the local server alone, on the embedded store, with neither the
/// AWS SDK nor the Lambda runtime to compile (a first build's time). Its
/// `dynamo` feature brings the SDK and the stream reader, and still no
/// Lambda runtime.
#[test]
fn the_local_server_builds_without_the_aws_sdk_unless_asked() {
    let lambda_or_aws = |p: &String| p.starts_with("aws-") || p.starts_with("lambda_");
    for packages in [tree(&[]), tree(&["-p", "feedback-local"])] {
        assert!(packages.iter().any(|p| p == "rusqlite"), "{packages:?}");
        let unwanted: Vec<_> = packages.iter().filter(|p| lambda_or_aws(p)).collect();
        assert!(unwanted.is_empty(), "{unwanted:?}");
    }
    let with_dynamo = tree(&["-p", "feedback-local", "--features", "dynamo"]);
    for wanted in ["aws-sdk-dynamodb", "aws-sdk-dynamodbstreams", "aws-config"] {
        assert!(with_dynamo.iter().any(|p| p == wanted), "{wanted}");
    }
    assert!(!with_dynamo.iter().any(|p| p.starts_with("lambda_")));
}

/// The authorizer links neither the router nor the pages (it needs the key
/// use cases only), and the stream functions link no pages.
#[test]
fn the_authorizer_and_the_stream_functions_link_no_router_or_pages() {
    let linked = linked_functions();
    for function in ["authorizer", "notify", "aggregate"] {
        let packages = &linked[function];
        assert!(
            !packages.iter().any(|p| p == "feedback-http" || p == "axum"),
            "{function}: {packages:?}"
        );
    }
    assert!(linked["authorizer"].iter().any(|p| p == "feedback-app"));
}

#[test]
fn the_checker_sees_uses_groups_and_cycles() {
    let code = code_of(
        "use crate::a::X;\nuse crate::{b, c::{D, E}, d::F};\n// crate::commented\n\
         fn f() { crate::e::g() }\n#[cfg(test)]\nmod tests { use crate::tested; }\n",
    );
    assert_eq!(
        named(&code),
        ["a", "b", "c", "d", "e"].map(String::from).into()
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&graph), [["a", "b", "c"].map(String::from).to_vec()]);
}
