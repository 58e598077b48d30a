//! The route table: every route, the function that serves it and the scope
//! it needs. Routers, auth, the OpenAPI check and the SAM template check all
//! read this one list.

use axum::http::Method;
use feedback_core::Scope;

/// The Lambda functions that serve HTTP (the authorizer serves none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Public rating endpoints: the only function without an API key.
    Collect,
    /// Business writes: invitations, reps, settings, keys, follow-ups, webhooks.
    Manage,
    /// Business reads: responses, scores, leaderboard.
    Scores,
}

impl Function {
    pub const ALL: [Function; 3] = [Function::Collect, Function::Manage, Function::Scores];

    /// The crate (and binary) name of the function.
    pub fn name(self) -> &'static str {
        match self {
            Function::Collect => "collect",
            Function::Manage => "manage",
            Function::Scores => "scores",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    RatingJson,
    Submit,
    AskUnsubscribe,
    Unsubscribe,
    OpenApi,
    CreateInvitations,
    GetInvitation,
    Snippet,
    CreateLink,
    ListLinks,
    GetLink,
    PatchLink,
    LinkSnippet,
    PutRep,
    GetRep,
    ListReps,
    DeleteRep,
    GetSettings,
    PutSettings,
    CreateKey,
    ListKeys,
    RevokeKey,
    ListResponses,
    ExportResponses,
    ReleaseResponse,
    EraseCustomer,
    ListFollowUps,
    GetFollowUp,
    PatchFollowUp,
    CreateWebhook,
    ListWebhooks,
    DeleteWebhook,
    ListDeliveries,
    Scores,
    Leaderboard,
    Drivers,
    Comments,
    Dashboard,
    SignIn,
    SignOut,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// axum path syntax: `/v1/reps/{rep_id}`.
    pub path: &'static str,
    pub function: Function,
    /// `None`: public, no key.
    pub scope: Option<Scope>,
    pub endpoint: Endpoint,
}

macro_rules! route {
    ($method:ident $path:literal => $function:ident, $scope:expr, $endpoint:ident) => {
        Route {
            method: Method::$method,
            path: $path,
            function: Function::$function,
            scope: $scope,
            endpoint: Endpoint::$endpoint,
        }
    };
}

use Scope::*;

pub static ROUTES: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(|| {
    vec![
        route!(GET "/healthz" => Collect, None, Health),
        route!(GET "/r/{code}" => Collect, None, RatingJson),
        route!(POST "/r/{code}" => Collect, None, Submit),
        route!(GET "/u/{token}" => Collect, None, AskUnsubscribe),
        route!(POST "/u/{token}" => Collect, None, Unsubscribe),
        route!(GET "/v1/openapi.json" => Manage, None, OpenApi),
        route!(POST "/v1/invitations" => Manage, Some(InvitationsWrite), CreateInvitations),
        route!(GET "/v1/invitations/{code}" => Manage, Some(InvitationsWrite), GetInvitation),
        route!(
            GET "/v1/invitations/{code}/snippet" => Manage,
            Some(InvitationsWrite),
            Snippet
        ),
        route!(POST "/v1/links" => Manage, Some(InvitationsWrite), CreateLink),
        route!(GET "/v1/links" => Manage, Some(InvitationsWrite), ListLinks),
        route!(GET "/v1/links/{code}" => Manage, Some(InvitationsWrite), GetLink),
        route!(PATCH "/v1/links/{code}" => Manage, Some(InvitationsWrite), PatchLink),
        route!(
            GET "/v1/links/{code}/snippet" => Manage,
            Some(InvitationsWrite),
            LinkSnippet
        ),
        route!(PUT "/v1/reps/{rep_id}" => Manage, Some(RepsWrite), PutRep),
        route!(DELETE "/v1/reps/{rep_id}" => Manage, Some(RepsWrite), DeleteRep),
        route!(GET "/v1/reps/{rep_id}" => Manage, Some(ScoresRead), GetRep),
        route!(GET "/v1/reps" => Manage, Some(ScoresRead), ListReps),
        route!(GET "/v1/settings" => Manage, Some(SettingsWrite), GetSettings),
        route!(PUT "/v1/settings" => Manage, Some(SettingsWrite), PutSettings),
        route!(POST "/v1/keys" => Manage, Some(Admin), CreateKey),
        route!(GET "/v1/keys" => Manage, Some(Admin), ListKeys),
        route!(DELETE "/v1/keys/{id}" => Manage, Some(Admin), RevokeKey),
        route!(
            DELETE "/v1/customers/{customer_ref}" => Manage,
            Some(Admin),
            EraseCustomer
        ),
        route!(GET "/v1/follow-ups" => Manage, Some(ResponsesRead), ListFollowUps),
        route!(GET "/v1/follow-ups/{id}" => Manage, Some(ResponsesRead), GetFollowUp),
        route!(PATCH "/v1/follow-ups/{id}" => Manage, Some(FollowUpsWrite), PatchFollowUp),
        route!(POST "/v1/webhooks" => Manage, Some(Admin), CreateWebhook),
        route!(GET "/v1/webhooks" => Manage, Some(Admin), ListWebhooks),
        route!(DELETE "/v1/webhooks/{id}" => Manage, Some(Admin), DeleteWebhook),
        route!(
            GET "/v1/webhooks/{id}/deliveries" => Manage,
            Some(Admin),
            ListDeliveries
        ),
        route!(GET "/v1/responses" => Scores, Some(ResponsesRead), ListResponses),
        route!(
            PATCH "/v1/responses/{id}" => Manage,
            Some(ResponsesWrite),
            ReleaseResponse
        ),
        route!(
            GET "/v1/responses/export.csv" => Scores,
            Some(ResponsesRead),
            ExportResponses
        ),
        route!(GET "/v1/scores" => Scores, Some(ScoresRead), Scores),
        route!(GET "/v1/leaderboard" => Scores, Some(ScoresRead), Leaderboard),
        route!(GET "/v1/drivers" => Scores, Some(ScoresRead), Drivers),
        route!(GET "/v1/comments" => Scores, Some(ResponsesRead), Comments),
        // The dashboard signs in with a key of its own (a session cookie),
        // so neither the gateway nor the middleware checks one here.
        route!(GET "/dashboard" => Scores, None, Dashboard),
        route!(POST "/dashboard/sign-in" => Scores, None, SignIn),
        route!(POST "/dashboard/sign-out" => Scores, None, SignOut),
    ]
});

/// The route a request matched, by method and matched path.
pub fn find(method: &Method, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}
