//! What API Gateway says about a request. In a Lambda function, lambda_http
//! puts the gateway's request context in the request's extensions; the
//! local server is built without the `lambda` feature and has no gateway,
//! so there every answer is `None`.

pub(crate) use context::{authorizer_field, request_id, source_ip};

#[cfg(feature = "lambda")]
mod context {
    use aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use axum::http::Extensions;
    use lambda_http::request::RequestContext;

    fn context(extensions: &Extensions) -> Option<&ApiGatewayV2httpRequestContext> {
        if let Some(RequestContext::ApiGatewayV2(context)) = extensions.get::<RequestContext>() {
            return Some(context);
        }
        None
    }

    /// The gateway's id for the request.
    pub(crate) fn request_id(extensions: &Extensions) -> Option<&str> {
        context(extensions)?.request_id.as_deref()
    }

    /// Behind the gateway, the address its connection came from (if it
    /// named one); `None` for a request that did not come through it.
    pub(crate) fn source_ip(extensions: &Extensions) -> Option<Option<&str>> {
        Some(context(extensions)?.http.source_ip.as_deref())
    }

    /// A string the authorizer put in its context.
    pub(crate) fn authorizer_field<'a>(extensions: &'a Extensions, name: &str) -> Option<&'a str> {
        context(extensions)?
            .authorizer
            .as_ref()?
            .fields
            .get(name)?
            .as_str()
    }
}

#[cfg(not(feature = "lambda"))]
mod context {
    use axum::http::Extensions;

    pub(crate) fn request_id(_: &Extensions) -> Option<&str> {
        None
    }

    pub(crate) fn source_ip(_: &Extensions) -> Option<Option<&str>> {
        None
    }

    pub(crate) fn authorizer_field<'a>(_: &'a Extensions, _: &str) -> Option<&'a str> {
        None
    }
}
