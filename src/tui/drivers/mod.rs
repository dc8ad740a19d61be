//! The pages' drivers: one per page kind, each running its page's `Work` against the store
//! on the console thread (the store is not `Send`) and anything slow or blocking in a task
//! that replies later through a tagged [`Out`]. Dispatch is by the [`Work`] variant.

pub mod checks;
pub mod export;
pub mod field_mapping;
pub mod stage_mapping;
pub mod team;

use tokio::sync::mpsc::UnboundedSender;

use crate::store::{Actor, Store};
use crate::tui::pages::{Reply, ReplyBody, Tag, Work};

/// Where a driver's replies go: tagged with the request they answer.
pub struct Out<T> {
    tag: Tag,
    tx: UnboundedSender<Reply>,
    wrap: fn(T) -> ReplyBody,
}

impl<T> Clone for Out<T> {
    fn clone(&self) -> Out<T> {
        Out {
            tag: self.tag,
            tx: self.tx.clone(),
            wrap: self.wrap,
        }
    }
}

impl<T> Out<T> {
    pub fn new(tag: Tag, tx: UnboundedSender<Reply>, wrap: fn(T) -> ReplyBody) -> Out<T> {
        Out { tag, tx, wrap }
    }

    /// Sends a reply later (from a task). The console may be closing; a lost reply is
    /// then harmless.
    pub fn send(&self, msg: T) {
        let _ = self.tx.send(self.reply(msg));
    }

    /// A reply ready now.
    pub fn reply(&self, msg: T) -> Reply {
        Reply {
            tag: self.tag,
            body: (self.wrap)(msg),
        }
    }
}

/// Runs one piece of page work; a reply ready now is returned, later ones arrive on `bg`.
pub fn run(
    store: &Store,
    actor: &Actor,
    tag: Tag,
    work: Work,
    bg: &UnboundedSender<Reply>,
) -> Option<Reply> {
    match work {
        Work::Checks(e) => {
            let out = Out::new(tag, bg.clone(), ReplyBody::Checks);
            checks::run(store, actor, e, &out).map(|m| out.reply(m))
        }
        Work::Export(w) => {
            let out = Out::new(tag, bg.clone(), ReplyBody::Export);
            export::run(store, actor, w, &out).map(|m| out.reply(m))
        }
        Work::Mapping(w) => {
            let out = Out::new(tag, bg.clone(), ReplyBody::Mapping);
            field_mapping::run(store, actor, w, &out).map(|m| out.reply(m))
        }
        Work::DeepSync(w) => match w {},
        Work::StageMapping(w) => {
            let out = Out::new(tag, bg.clone(), ReplyBody::StageMapping);
            stage_mapping::run(store, actor, w, &out).map(|m| out.reply(m))
        }
    }
}
