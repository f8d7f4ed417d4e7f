-- Every reply updated an index by decision, in a page for each kind of
-- decision: under load, two fifths of what a commit wrote. The dashboard's
-- counts by decision read the replies of the chosen period by time instead.
DROP INDEX replies_decision;
