//! The Search API: filter groups as iCIMS's grammar has them, one search call, and the
//! pager that walks past the 1,000-id cap with an `id >` continuation filter.

use serde::Serialize;
use serde_json::Value;

use super::client::IcimsClient;
use super::error::IcimsError;
use super::model::{Id, SearchHit, SearchResults};
use super::profiles::ProfileType;

/// iCIMS returns at most this many ids per search, ascending.
pub const PAGE_SIZE: usize = 1000;

/// One filter: `{"name":"person.email","value":["a@b"],"operator":"=="}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub name: String,
    pub value: Vec<String>,
    #[serde(rename = "secondaryValue", skip_serializing_if = "Vec::is_empty")]
    pub secondary_value: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl Filter {
    fn with(name: &str, value: &str, op: Option<&str>) -> Filter {
        Filter {
            name: name.to_string(),
            value: vec![value.to_string()],
            secondary_value: Vec::new(),
            operator: op.map(str::to_string),
        }
    }

    /// `=`: exact for lists, numbers and dates; *contains* for text.
    pub fn eq(name: &str, value: &str) -> Filter {
        Filter::with(name, value, Some("="))
    }

    /// `==`: exact text match.
    pub fn exact(name: &str, value: &str) -> Filter {
        Filter::with(name, value, Some("=="))
    }

    /// `>`: greater than (ids, numbers, dates).
    pub fn gt(name: &str, value: &str) -> Filter {
        Filter::with(name, value, Some(">"))
    }

    /// A date range (`value` start, `secondaryValue` end; either may be open).
    pub fn between(name: &str, start: Option<&str>, end: Option<&str>) -> Filter {
        Filter {
            name: name.to_string(),
            value: start.map(|s| vec![s.to_string()]).unwrap_or_default(),
            secondary_value: end.map(|s| vec![s.to_string()]).unwrap_or_default(),
            operator: None,
        }
    }
}

/// A filter group: filters joined by `operator` (`&` or `|`) plus child groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchQuery {
    pub filters: Vec<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<SearchQuery>,
}

impl SearchQuery {
    /// All filters must hold.
    pub fn all(filters: Vec<Filter>) -> SearchQuery {
        SearchQuery {
            filters,
            operator: Some("&".into()),
            children: Vec::new(),
        }
    }

    /// Any filter may hold.
    pub fn any(filters: Vec<Filter>) -> SearchQuery {
        SearchQuery {
            filters,
            operator: Some("|".into()),
            children: Vec::new(),
        }
    }

    /// Adds a child group.
    pub fn with_child(mut self, child: SearchQuery) -> SearchQuery {
        self.children.push(child);
        self
    }

    fn is_or(&self) -> bool {
        self.operator.as_deref() == Some("|")
    }

    /// This query restricted to ids above `after` (the pager's continuation).
    pub fn after_id(&self, entity: &str, after: u64) -> SearchQuery {
        let id_filter = Filter::gt(&format!("{entity}.id"), &after.to_string());
        if self.is_or() {
            SearchQuery {
                filters: vec![id_filter],
                operator: Some("&".into()),
                children: vec![self.clone()],
            }
        } else {
            let mut q = self.clone();
            q.filters.push(id_filter);
            q
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl IcimsClient {
    /// One search call (at most 1,000 ids, ascending).
    pub async fn search(
        &self,
        kind: ProfileType,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>, IcimsError> {
        let mut url = self
            .endpoints()
            .api_url(&format!("search/{}", kind.segment()));
        if let Some(s) = self.config().search_staleness {
            url.query_pairs_mut()
                .append_pair("staleness", &s.to_string());
        }
        let body = self.post_json(url, &query.to_json()).await?;
        let results = SearchResults::from_json(&body).ok_or_else(|| IcimsError::Malformed {
            what: format!("{} search response", kind.segment()),
            reason: "no searchResults array".into(),
        })?;
        if results.unreadable > 0 {
            tracing::warn!(
                skipped = results.unreadable,
                "search results without a readable id were skipped"
            );
        }
        Ok(results.hits)
    }

    /// A pager over every id matching `query`.
    pub fn search_pager(&self, kind: ProfileType, query: SearchQuery) -> SearchPager<'_> {
        SearchPager {
            client: self,
            kind,
            query,
            last: None,
            done: false,
            pages: 0,
        }
    }
}

/// Walks a search 1,000 ids at a time: each next page asks for ids above the last one.
pub struct SearchPager<'a> {
    client: &'a IcimsClient,
    kind: ProfileType,
    query: SearchQuery,
    last: Option<u64>,
    done: bool,
    pages: u32,
}

impl SearchPager<'_> {
    /// The next page of hits; `None` when the search is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<SearchHit>>, IcimsError> {
        if self.done {
            return Ok(None);
        }
        let query = self.page_query();
        let hits = self.client.search(self.kind, &query).await?;
        self.pages += 1;
        let max = hits.iter().map(|h| h.id.0).max();
        if hits.len() < PAGE_SIZE || max.is_none() || max <= self.last {
            self.done = true;
        }
        if max > self.last {
            self.last = max;
        }
        if hits.is_empty() {
            return Ok(None);
        }
        Ok(Some(hits))
    }

    /// The query of the next page.
    pub fn page_query(&self) -> SearchQuery {
        let entity = self.kind.search_entity();
        match self.last {
            Some(last) => self.query.after_id(entity, last),
            None if self.query.filters.is_empty() && self.query.children.is_empty() => {
                self.query.after_id(entity, 0)
            }
            None => self.query.clone(),
        }
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The highest id seen (the continuation point, e.g. for a checkpoint).
    pub fn last_id(&self) -> Option<Id> {
        self.last.map(Id)
    }

    /// Resumes after `id` (from a checkpoint).
    pub fn resume_after(&mut self, id: u64) {
        self.last = Some(id);
    }

    /// Collects every id (for small result sets; large ones should page).
    pub async fn collect_all(mut self, max_pages: u32) -> Result<Vec<Id>, IcimsError> {
        let mut out = Vec::new();
        while self.pages < max_pages {
            match self.next_page().await? {
                Some(hits) => out.extend(hits.into_iter().map(|h| h.id)),
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_the_icims_grammar() {
        let q = SearchQuery::all(vec![
            Filter::gt("person.id", "1234"),
            Filter::between("person.updateddate", Some("2013-06-10"), Some("2013-06-17")),
        ])
        .with_child(SearchQuery::any(vec![
            Filter::eq("person.folder", "C16818"),
            Filter::eq("person.folder", "D32013"),
        ]));
        assert_eq!(
            q.to_json(),
            json!({
                "filters": [
                    {"name": "person.id", "value": ["1234"], "operator": ">"},
                    {"name": "person.updateddate", "value": ["2013-06-10"], "secondaryValue": ["2013-06-17"]}
                ],
                "operator": "&",
                "children": [{
                    "filters": [
                        {"name": "person.folder", "value": ["C16818"], "operator": "="},
                        {"name": "person.folder", "value": ["D32013"], "operator": "="}
                    ],
                    "operator": "|"
                }]
            })
        );
    }

    #[test]
    fn continuation_adds_an_id_filter() {
        let q = SearchQuery::all(vec![Filter::exact("person.email", "a@b.c")]);
        let next = q.after_id("person", 1999);
        assert_eq!(next.filters.len(), 2);
        assert_eq!(next.filters[1], Filter::gt("person.id", "1999"));
        // An OR group is wrapped so the id bound applies to all of it.
        let or = SearchQuery::any(vec![
            Filter::exact("person.email", "a@b.c"),
            Filter::exact("person.email", "d@e.f"),
        ]);
        let next = or.after_id("person", 5);
        assert_eq!(next.operator.as_deref(), Some("&"));
        assert_eq!(next.filters, vec![Filter::gt("person.id", "5")]);
        assert_eq!(next.children, vec![or]);
    }
}
