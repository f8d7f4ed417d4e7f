-- The network a web request came from (203.0.113.0/24, 2001:db8:1::/48),
-- resolved behind the city's proxies; never the full address. Empty for
-- LINE, whose requests come from the LINE platform.
ALTER TABLE replies ADD COLUMN client TEXT;
