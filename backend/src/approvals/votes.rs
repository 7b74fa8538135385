//! Votes: an approval or a rejection, written with the voter's own token at
//! `approvals/votes/<env>/<requester>/<id>/<voter>`. OpenBao decides who may vote (the
//! approver group's policy) and refuses a vote on one's own request; Crypter only checks
//! what a record cannot say (the request is still open, this voter has not voted).

use super::requests::{self, Loaded};
use super::VOTES;
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crate::records::Records;
use crate::session::Session;
use crypter_api::ErrorCode;
use crypter_api::{ActivityAction, RequestState};
use serde_json::json;

/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 1_000;

/// Cast the session's vote on request `id`: the request as it stands after it.
pub async fn cast(
    bao: &Bao,
    records: &Records,
    session: &Session,
    id: &str,
    approve: bool,
    comment: &str,
    now: &str,
) -> Result<Loaded, AppError> {
    if comment.chars().count() > MAX_COMMENT {
        return Err(AppError::bad_request(
            ErrorCode::InvalidComment,
            format!("the comment is longer than {MAX_COMMENT} characters"),
        ));
    }
    let loaded = requests::load(records, id).await?;
    let state = requests::state(&loaded, now);
    if state != RequestState::Pending {
        return Err(AppError::ConflictDetails {
            code: ErrorCode::RequestClosed,
            message: format!("request {id} is {state}: it takes no more votes"),
            details: json!({ "state": state }),
        });
    }
    let Some(entity) = session.entity_id.as_deref() else {
        return Err(AppError::Forbidden(
            "this session's token has no identity entity (a root token), so it cannot vote".into(),
        ));
    };
    if loaded.votes.contains_key(entity) {
        return Err(AppError::ConflictDetails {
            code: ErrorCode::AlreadyVoted,
            message: format!("you have already voted on request {id}"),
            details: json!({}),
        });
    }
    let s = &loaded.stored;
    let key = format!("{VOTES}/{}/{}/{id}/{entity}", s.environment, loaded.entity);
    let vote = json!({
        "approve": approve,
        "comment": comment,
        "at": now,
    });
    let crypter = Mount::v2("crypter");
    match kv::write_json(bao, &session.token, &crypter, &key, &vote, Some(0)).await {
        Ok(_) => {}
        Err(KvError::Forbidden { .. }) => {
            let why = if loaded.entity == entity {
                "nobody approves their own request".to_owned()
            } else {
                format!("you are not an approver of {}", s.environment)
            };
            return Err(AppError::Forbidden(format!(
                "OpenBao refused your vote on request {id}: {why}"
            )));
        }
        Err(KvError::CasFailed { .. }) => {
            return Err(AppError::ConflictDetails {
                code: ErrorCode::AlreadyVoted,
                message: format!("you have already voted on request {id}"),
                details: json!({}),
            })
        }
        Err(e) => return Err(e.into()),
    }
    let action = if approve {
        ActivityAction::RequestApprove
    } else {
        ActivityAction::RequestReject
    };
    requests::emit(records, s, action, &session.username).await;
    requests::load(records, id).await
}
