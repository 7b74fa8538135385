//! ACL policies as data: parsed from HCL (with the `hcl-rs` crate) or from OpenBao's JSON
//! form, rewritten, and written back as HCL. Only `path` blocks exist in an ACL policy; any
//! attribute of a rule other than its capabilities (allowed_parameters …) is kept as is.

use hcl::{Attribute, Block, Body, Expression, Structure};

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDoc {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub path: String,
    pub capabilities: Vec<String>,
    /// The rule's other attributes and blocks, untouched.
    pub rest: Vec<Structure>,
}

/// Parse a policy's text. The error says what was expected, for the operator to fix.
pub fn parse(text: &str) -> Result<PolicyDoc, String> {
    if text.trim_start().starts_with('{') {
        return parse_json(text);
    }
    let body = hcl::parse(text).map_err(|e| format!("not valid HCL: {e}"))?;
    let mut rules = Vec::new();
    for structure in body.into_inner() {
        match structure {
            Structure::Block(block) if block.identifier() == "path" => {
                let [label] = block.labels() else {
                    return Err("a `path` block needs exactly one label, the path".into());
                };
                let path = label.as_str().to_owned();
                rules.push(rule_from_body(path, block.body)?);
            }
            Structure::Block(block) => {
                return Err(format!(
                    "unexpected block `{}`; only `path` blocks are allowed",
                    block.identifier()
                ));
            }
            Structure::Attribute(attr) => {
                return Err(format!("unexpected top-level attribute `{}`", attr.key()));
            }
        }
    }
    Ok(PolicyDoc { rules })
}

fn rule_from_body(path: String, body: Body) -> Result<Rule, String> {
    let mut capabilities = None;
    let mut legacy = None;
    let mut rest = Vec::new();
    for structure in body.into_inner() {
        match structure {
            Structure::Attribute(attr) if attr.key() == "capabilities" => {
                capabilities = Some(string_list(&attr.expr).ok_or_else(|| {
                    format!("path {path:?}: `capabilities` must be a list of strings")
                })?);
            }
            Structure::Attribute(attr) if attr.key() == "policy" => match &attr.expr {
                Expression::String(s) => legacy = Some(s.clone()),
                _ => return Err(format!("path {path:?}: `policy` must be a string")),
            },
            other => rest.push(other),
        }
    }
    let mut capabilities = capabilities.unwrap_or_default();
    if let Some(legacy) = legacy {
        capabilities.extend(expand_legacy(&legacy, &path)?);
    }
    Ok(Rule {
        path,
        capabilities,
        rest,
    })
}

/// The old `policy = "write"` shorthand, as OpenBao expands it.
fn expand_legacy(policy: &str, path: &str) -> Result<Vec<String>, String> {
    let caps: &[&str] = match policy {
        "deny" => &["deny"],
        "read" => &["read", "list"],
        "write" => &["create", "read", "update", "delete", "list"],
        "sudo" => &["create", "read", "update", "delete", "list", "sudo"],
        other => return Err(format!("path {path:?}: unknown policy shorthand {other:?}")),
    };
    Ok(caps.iter().map(|c| (*c).to_owned()).collect())
}

fn string_list(expr: &Expression) -> Option<Vec<String>> {
    match expr {
        Expression::Array(items) => items
            .iter()
            .map(|i| match i {
                Expression::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn parse_json(text: &str) -> Result<PolicyDoc, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let paths = value
        .get("path")
        .and_then(|p| p.as_object())
        .ok_or("a JSON policy needs a `path` object")?;
    let mut rules = Vec::new();
    for (path, body) in paths {
        let hcl_body = json_to_body(body).map_err(|e| format!("path {path:?}: {e}"))?;
        rules.push(rule_from_body(path.clone(), hcl_body)?);
    }
    Ok(PolicyDoc { rules })
}

fn json_to_body(body: &serde_json::Value) -> Result<Body, String> {
    let object = body.as_object().ok_or("a rule must be an object")?;
    let mut builder = Body::builder();
    for (key, value) in object {
        let expr: Expression = hcl::to_expression(value).map_err(|e| format!("`{key}`: {e}"))?;
        builder = builder.add_attribute(Attribute::new(key.as_str(), expr));
    }
    Ok(builder.build())
}

/// The policy as HCL, one `path` block per rule, in order.
pub fn to_hcl(doc: &PolicyDoc) -> Result<String, String> {
    let mut body = Body::builder();
    for rule in &doc.rules {
        let caps = Expression::Array(
            rule.capabilities
                .iter()
                .map(|c| Expression::String(c.clone()))
                .collect(),
        );
        let mut block = Block::builder("path")
            .add_label(rule.path.as_str())
            .add_attribute(Attribute::new("capabilities", caps));
        for structure in &rule.rest {
            block = match structure.clone() {
                Structure::Attribute(a) => block.add_attribute(a),
                Structure::Block(b) => block.add_block(b),
            };
        }
        body = body.add_block(block.build());
    }
    hcl::to_string(&body.build()).map_err(|e| format!("cannot write HCL: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hcl_with_extra_attributes_and_legacy_policy() {
        let doc = parse(
            r#"
            # a comment
            path "secret/data/*" {
              capabilities = ["create", "read"]
              allowed_parameters = { "ttl" = [] }
            }
            path "sys/mounts/*" { policy = "write" }
            "#,
        )
        .unwrap();
        assert_eq!(doc.rules.len(), 2);
        assert_eq!(doc.rules[0].capabilities, vec!["create", "read"]);
        assert_eq!(doc.rules[0].rest.len(), 1);
        assert!(doc.rules[1].capabilities.contains(&"update".to_owned()));
        let again = parse(&to_hcl(&doc).unwrap()).unwrap();
        assert_eq!(again.rules[0].rest, doc.rules[0].rest);
        assert_eq!(again.rules[1].capabilities, doc.rules[1].capabilities);
    }

    #[test]
    fn parses_json_policies() {
        let doc = parse(r#"{"path": {"env/*": {"capabilities": ["read", "update"]}}}"#).unwrap();
        assert_eq!(doc.rules[0].path, "env/*");
        assert_eq!(doc.rules[0].capabilities, vec!["read", "update"]);
    }

    #[test]
    fn refuses_what_is_not_a_policy() {
        assert!(parse("path \"x\" { capabilities = [")
            .unwrap_err()
            .contains("not valid HCL"));
        assert!(parse("name = \"x\"")
            .unwrap_err()
            .contains("top-level attribute"));
        assert!(parse("path \"x\" { capabilities = \"read\" }")
            .unwrap_err()
            .contains("list of strings"));
        assert!(parse("path \"x\" { policy = \"admin\" }")
            .unwrap_err()
            .contains("shorthand"));
    }
}
