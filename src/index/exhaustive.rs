//! Collecting without block-max WAND.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::schema::Schema;
use tantivy::{SegmentOrdinal, SegmentReader};

/// Collects with `C`, but has the query score every matching entry instead
/// of skipping the blocks that cannot reach the top (block-max WAND).
///
/// A resident's message is searched as a hundred terms or more, and WAND
/// sorts its term scorers again at every step: over a few thousand entries
/// that costs more than scoring them all (a localgovFAQ question, median
/// and p99: about 215 / 610 µs against 260 / 880 µs with WAND).
pub struct Exhaustive<C>(pub C);

impl<C: Collector> Collector for Exhaustive<C> {
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn check_schema(&self, schema: &Schema) -> tantivy::Result<()> {
        self.0.check_schema(schema)
    }

    fn for_segment(
        &self,
        segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<C::Child> {
        self.0.for_segment(segment_local_id, segment)
    }

    fn requires_scoring(&self) -> bool {
        self.0.requires_scoring()
    }

    fn merge_fruits(
        &self,
        segment_fruits: Vec<<C::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<C::Fruit> {
        self.0.merge_fruits(segment_fruits)
    }

    // `collect_segment` is the trait's own, which scores every document;
    // `C`'s (for TopDocs, block-max WAND) is deliberately not called.
}
