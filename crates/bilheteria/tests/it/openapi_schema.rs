//! The served OpenAPI document read by a JSON Schema (2020-12) validator, for the schema-driven
//! tests: a request or an answer is judged by the document's own schema, not by code of ours.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;

/// Operations left out, and why: logging out ends the session the other requests use, the
/// waiting room's event stream never ends, and rehearsal buyers are made by the thousand.
const SKIPPED: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/sessions/{id}/queue/events"),
    ("post", "/api/v1/admin/rehearsal/buyers"),
];

/// Every operation of the document that the schema-driven tests send requests to: its path,
/// method (as the document writes it, and as HTTP's) and description.
pub fn operations(document: &Value) -> Vec<(&String, &String, Method, &Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if SKIPPED.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            if let Ok(http_method) = method.to_uppercase().parse::<Method>() {
                all.push((path, method, http_method, operation));
            }
        }
    }
    all
}

pub struct DocSchemas {
    components: Value,
    root: Value,
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// `/api/v1/orders` as one token of a JSON pointer.
pub fn pointer_token(raw: &str) -> String {
    raw.replace('~', "~0").replace('/', "~1")
}

/// Where an operation's JSON request body schema is, if it has one.
pub fn body_pointer(path: &str, method: &str) -> String {
    format!(
        "/paths/{}/{method}/requestBody/content/application~1json/schema",
        pointer_token(path)
    )
}

impl DocSchemas {
    pub fn new(document: &Value) -> Self {
        Self {
            components: document["components"].clone(),
            root: document.clone(),
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The schema at `pointer`, if any.
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// A validator of the schema at `pointer`, its `$ref`s read in the document's components.
    pub fn validator(&self, pointer: &str) -> Arc<jsonschema::Validator> {
        let mut compiled = self.compiled.lock().unwrap();
        if let Some(validator) = compiled.get(pointer) {
            return validator.clone();
        }
        let schema = self
            .root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no schema at {pointer}"));
        let validator = Arc::new(self.validator_of(schema));
        compiled.insert(pointer.to_owned(), validator.clone());
        validator
    }

    /// A validator of `schema`, its `$ref`s read in the document's components.
    pub fn validator_of(&self, schema: &Value) -> jsonschema::Validator {
        let wrapped = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/it",
            "$defs": {"it": schema},
            "components": self.components,
        });
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&wrapped)
            .unwrap_or_else(|e| panic!("the schema {schema} does not compile: {e}"))
    }

    /// What the schema at `pointer` finds wrong with `instance` (empty: it is valid).
    pub fn errors(&self, pointer: &str, instance: &Value) -> Vec<String> {
        self.validator(pointer)
            .iter_errors(instance)
            .map(|e| format!("{} at `{}`", e, e.instance_path()))
            .collect()
    }

    pub fn is_valid(&self, pointer: &str, instance: &Value) -> bool {
        self.validator(pointer).is_valid(instance)
    }

    /// What is wrong with an answer of the operation at `path`/`method`, by its document: a
    /// status it does not list, a server error, a problem that is not problem+json with a
    /// `code` by the `Problem` schema, a JSON success its schema refuses.
    pub fn check_answer(
        &self,
        path: &str,
        method: &str,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) -> Option<String> {
        let shown = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            return Some(format!("answered {status}: {}", shown()));
        }
        let responses = format!("/paths/{}/{method}/responses", pointer_token(path));
        let documented = format!("{responses}/{}", status.as_str());
        if self.at(&documented).is_none() {
            return Some(format!(
                "answered {status}, which is not documented ({})",
                shown()
            ));
        }
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let problem = status.is_client_error() || status.is_server_error();
        if problem && mime != "application/problem+json" {
            return Some(format!(
                "answered {status} as {content_type}, not problem+json"
            ));
        }
        let schema = format!("{documented}/content/{}/schema", pointer_token(mime));
        if self.at(&schema).is_none() {
            return (problem || mime == "application/json")
                .then(|| format!("answered {status} as {mime}, which the document does not list"))
                .filter(|_| !body.is_empty());
        }
        let Some(json) = json else {
            return Some(format!("answered {status} with a body that is not JSON"));
        };
        if problem && !json["code"].is_string() {
            return Some(format!("answered {status} without a `code`"));
        }
        let errors = self.errors(&schema, &json);
        (!errors.is_empty()).then(|| {
            format!(
                "answered {status} with a body its schema refuses: {} ({})",
                errors.join("; "),
                shown()
            )
        })
    }
}
