// Replay protection of signed AudioHook upgrades: a nonce is taken once while its signature is valid.

#include <catch2/catch.hpp>

#include "server/nonce_cache.h"

using tw::server::NonceCache;

TEST_CASE("a nonce is taken once within its window and forgotten after it", "[server][signature][security]") {
  NonceCache cache;
  CHECK(cache.check("key-1", "n1", 1000, 1330) == NonceCache::Outcome::first_use);
  CHECK(cache.check("key-1", "n1", 1001, 1331) == NonceCache::Outcome::replay);
  CHECK(cache.check("key-2", "n1", 1001, 1331) == NonceCache::Outcome::first_use);  // another key's nonce
  CHECK(cache.check("key-1", "n2", 1002, 1332) == NonceCache::Outcome::first_use);
  CHECK(cache.check("key-1", "n1", 1330, 1660) == NonceCache::Outcome::replay);  // the last second of its window
  CHECK(cache.check("key-1", "n1", 1331, 1661) == NonceCache::Outcome::first_use);  // expired: forgotten (the verifier refuses the old signature)
  CHECK(cache.size() == 3);  // n1 (again), key-2's n1, n2
}

TEST_CASE("a full nonce cache refuses new signed requests until nonces expire", "[server][signature][security]") {
  NonceCache cache(2);
  CHECK(cache.check("k", "a", 0, 100) == NonceCache::Outcome::first_use);
  CHECK(cache.check("k", "b", 0, 200) == NonceCache::Outcome::first_use);
  CHECK(cache.check("k", "c", 50, 300) == NonceCache::Outcome::full);
  CHECK(cache.check("k", "c", 101, 300) == NonceCache::Outcome::first_use);  // a expired
}
