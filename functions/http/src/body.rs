//! Reading request bodies and query strings into fields, with limits and
//! errors that name the field.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use feedback_core::{FieldError, Rule};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Largest body the public routes accept.
pub const PUBLIC_LIMIT: usize = 16 * 1024;
/// Largest body the business API accepts (500 invitations fit easily).
pub const BUSINESS_LIMIT: usize = 1024 * 1024;

/// A body's fields: a JSON object, or a form's name/value pairs.
pub enum Fields {
    Json(Map<String, Value>),
    Form(HashMap<String, String>),
}

/// Reads at most `limit` bytes of a JSON (or, where `form_ok`, form) body.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    form_ok: bool,
) -> Result<Fields, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let is_form = content_type == "application/x-www-form-urlencoded";
    if !(content_type == "application/json"
        || content_type.ends_with("+json")
        || (form_ok && is_form))
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?;
    if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::Malformed(format!("not a valid form: {e}")))?;
        return Ok(Fields::Form(pairs.into_iter().collect()));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Fields::Json(map)),
        Ok(_) => Err(ApiError::Malformed("the body must be a JSON object".into())),
        Err(e) => Err(ApiError::Malformed(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

/// Reads a business route's body, which is JSON only.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Map<String, Value>, ApiError> {
    match read(headers, body, BUSINESS_LIMIT, false).await? {
        Fields::Json(map) => Ok(map),
        Fields::Form(_) => Err(ApiError::UnsupportedMediaType),
    }
}

fn wrong_type(field: &str, expected: &str) -> FieldError {
    FieldError::new(field, Rule::BadFormat, format!("must be {expected}"))
}

/// Typed access to one JSON object's fields, refusing fields it does not know.
pub struct Object<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Object<'a> {
    pub fn new(path: &str, map: &'a Map<String, Value>) -> Self {
        Object {
            path: path.to_owned(),
            map,
        }
    }

    pub fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Errors for every field not in `known`: a typo is never silently ignored.
    pub fn unknown_fields(&self, known: &[&str]) -> Vec<FieldError> {
        self.map
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .map(|k| FieldError::new(self.field(k), Rule::UnknownValue, "is not a known field"))
            .collect()
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong_type(&self.field(name), "a string")),
        }
    }

    /// A nullable string: absent → `None`, `null` → `Some(None)`.
    pub fn nullable_string(&self, name: &str) -> Result<Option<Option<String>>, FieldError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(wrong_type(&self.field(name), "a string or null")),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(|| wrong_type(&self.field(name), "an integer")),
            Some(_) => Err(wrong_type(&self.field(name), "an integer")),
        }
    }

    /// A nullable integer: absent → `None`, `null` → `Some(None)`.
    pub fn nullable_int(&self, name: &str) -> Result<Option<Option<i64>>, FieldError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(_) => self.int(name).map(Some),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(&self.field(name), "true or false")),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<Object<'a>>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Object {
                path: self.field(name),
                map,
            })),
            Some(_) => Err(wrong_type(&self.field(name), "an object")),
        }
    }

    /// A nullable object: absent → `None`, `null` → `Some(None)`.
    pub fn nullable_object(&self, name: &str) -> Result<Option<Option<Object<'a>>>, FieldError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(_) => self.object(name).map(Some),
        }
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        wrong_type(&format!("{}[{i}]", self.field(name)), "a string")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(&self.field(name), "an array of strings")),
        }
    }

    pub fn string_map(
        &self,
        name: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, FieldError> {
        let Some(object) = self.object(name)? else {
            return Ok(None);
        };
        object
            .map
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_owned()))
                    .ok_or_else(|| wrong_type(&object.field(k), "a string"))
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// A route's one path parameter, as text. A segment that is not UTF-8
/// (`%FF`) is a 400 problem naming the path, like every other bad input,
/// rather than axum's plain-text rejection.
pub struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(segment)) => Ok(Segment(segment)),
            Err(rejection) => Err(FieldError::new(
                "path",
                Rule::BadFormat,
                format!("cannot be read: {}", rejection.body_text()),
            )
            .into()),
        }
    }
}

/// A query string's parameters, refusing those a route does not know.
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Query, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|e| ApiError::Malformed(format!("bad query string: {e}")))?;
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (k, v) in pairs {
            if !known.contains(&k.as_str()) {
                errors.push(FieldError::new(
                    &k,
                    Rule::UnknownValue,
                    "is not a known query parameter",
                ));
            } else if v.is_empty() {
                // `to=` is not a day, nor "any": leave the parameter out.
                errors.push(FieldError::new(
                    &k,
                    Rule::Required,
                    "is empty; leave the parameter out instead",
                ));
            } else if map.insert(k.clone(), v).is_some() {
                errors.push(FieldError::new(
                    &k,
                    Rule::BadFormat,
                    "is given more than once",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Query(map))
        } else {
            Err(ApiError::Invalid(errors))
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        self.get(name).map(|v| parse(name, v)).transpose()
    }

    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, FieldError> {
        self.parsed(name, |field, v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    FieldError::new(
                        field,
                        Rule::OutOfRange,
                        format!("must be an integer from {min} to {max}"),
                    )
                })
        })
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, FieldError> {
        self.parsed(name, parse_bool)
    }
}

/// `true`/`false` as forms and query strings spell them.
pub fn parse_bool(field: &str, value: &str) -> Result<bool, FieldError> {
    match value {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(FieldError::new(
            field,
            Rule::BadFormat,
            "must be true or false",
        )),
    }
}

/// The value of a field that parsed, or `None` with its error collected.
pub fn take<T>(errors: &mut Vec<FieldError>, result: Result<Option<T>, FieldError>) -> Option<T> {
    result.unwrap_or_else(|e| {
        errors.push(e);
        None
    })
}

/// Combines a body's shape errors (unknown fields, wrong types) with the
/// result of validating what could be read, so a client sees every problem
/// at once; a field whose type was wrong is not also reported as missing.
pub fn combine<T>(
    mut shape: Vec<FieldError>,
    validated: Result<T, Vec<FieldError>>,
) -> Result<T, ApiError> {
    match validated {
        Ok(value) if shape.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::Invalid(shape)),
        Err(more) => {
            let known: Vec<String> = shape.iter().map(|e| e.field.clone()).collect();
            shape.extend(more.into_iter().filter(|e| !known.contains(&e.field)));
            Err(ApiError::Invalid(shape))
        }
    }
}
