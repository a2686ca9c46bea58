#include "simulator/association_store.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hubspot_simulator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Ids(std::initializer_list<const char*> ids) {
  return std::vector<std::string>(ids.begin(), ids.end());
}

MATCHER_P2(PairIs, from, to, "") { return arg.from_id == from && arg.to_id == to; }

TEST(AssociationStoreTest, AddThenReadInNumericOrder) {
  AssociationStore store;
  EXPECT_EQ(store.Add("contacts", "companies", "1", Ids({"30", "4", "200"})), 3);
  EXPECT_THAT(store.Read("contacts", "companies", "1"),
              ElementsAre(PairIs("1", "4"), PairIs("1", "30"), PairIs("1", "200")));
  EXPECT_THAT(store.Read("contacts", "companies", "2"), IsEmpty());
  EXPECT_THAT(store.Read("companies", "contacts", "1"), IsEmpty());
}

TEST(AssociationStoreTest, AddCountsOnlyNewAssociations) {
  AssociationStore store;
  EXPECT_EQ(store.Add("contacts", "companies", "1", Ids({"2", "3"})), 2);
  EXPECT_EQ(store.Add("contacts", "companies", "1", Ids({"3", "4", "4"})), 1);
  EXPECT_EQ(store.Add("contacts", "companies", "1", {}), 0);
}

TEST(AssociationStoreTest, RemoveIsIdempotent) {
  AssociationStore store;
  store.Add("contacts", "companies", "1", Ids({"2", "3"}));
  EXPECT_EQ(store.Remove("contacts", "companies", "1", Ids({"2", "9"})), 1);
  EXPECT_THAT(store.Read("contacts", "companies", "1"), ElementsAre(PairIs("1", "3")));
  EXPECT_EQ(store.Remove("contacts", "companies", "1", Ids({"2"})), 0);
  EXPECT_EQ(store.Remove("contacts", "companies", "1", Ids({"3"})), 1);
  EXPECT_THAT(store.Read("contacts", "companies", "1"), IsEmpty());
  EXPECT_EQ(store.Remove("contacts", "companies", "1", Ids({"3"})), 0);
  EXPECT_EQ(store.Remove("deals", "tickets", "8", Ids({"3"})), 0);
}

TEST(AssociationStoreTest, CanonicalFormsAddressTheSameRecords) {
  AssociationStore store;
  store.Add("0-1", "0-2", "007", Ids({"0010"}));
  EXPECT_THAT(store.Read("contacts", "companies", "7"), ElementsAre(PairIs("7", "10")));
  EXPECT_EQ(store.Remove("contacts", "companies", "7", Ids({"10"})), 1);
}

TEST(AssociationStoreTest, ListSortsNumericallyAndFiltersTypes) {
  AssociationStore store;
  store.Add("contacts", "companies", "101", Ids({"201", "30"}));
  store.Add("contacts", "companies", "9", Ids({"5"}));
  store.Add("contacts", "deals", "1", Ids({"1"}));
  EXPECT_THAT(store.List("contacts", "companies"),
              ElementsAre(PairIs("9", "5"), PairIs("101", "30"), PairIs("101", "201")));
  EXPECT_THAT(store.List("companies", "contacts"), IsEmpty());
}

TEST(AssociationStoreTest, RemoveLabelsKeepsTheAssociation) {
  AssociationStore store;
  const AssociationLabel billing{"USER_DEFINED", 36};
  const AssociationLabel primary{"HUBSPOT_DEFINED", 1};
  store.Add("contacts", "companies", "1", {"2"}, {billing, primary});
  EXPECT_EQ(store.RemoveLabels("contacts", "companies", "1", "2", {billing, {"WORK", 9}}), 1);
  const auto pairs = store.List("contacts", "companies");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].labels, std::vector<AssociationLabel>{primary});
  // Removing every label still keeps the association; a pair never associated is nullopt.
  EXPECT_EQ(store.RemoveLabels("0-1", "0-2", "01", "2", {primary}), 1);
  const auto read = store.Read("contacts", "companies", "1");
  ASSERT_THAT(read, ElementsAre(PairIs("1", "2")));
  EXPECT_THAT(read[0].labels, IsEmpty());
  EXPECT_EQ(store.RemoveLabels("contacts", "companies", "1", "3", {primary}), std::nullopt);
  // Archiving the pair removes it with its labels.
  store.Add("contacts", "companies", "1", {"2"}, {billing});
  EXPECT_EQ(store.Remove("contacts", "companies", "1", {"2"}), 1);
  EXPECT_TRUE(store.List("contacts", "companies").empty());
}

TEST(AssociationStoreTest, ClearEmptiesEveryShard) {
  AssociationStore store(4);
  for (int i = 0; i < 50; ++i) {
    store.Add("contacts", "companies", std::to_string(i), Ids({"1"}));
  }
  EXPECT_EQ(store.List("contacts", "companies").size(), 50u);
  store.Clear();
  EXPECT_THAT(store.List("contacts", "companies"), IsEmpty());
}

TEST(AssociationStoreTest, ConcurrentAddsAndRemovesAreAllCounted) {
  AssociationStore store;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store.Add("contacts", "companies", std::to_string(i), {std::to_string(t)});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store.List("contacts", "companies").size(), static_cast<size_t>(kThreads * kPerThread));

  std::vector<int64_t> removed(kThreads);
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &removed, t] {
      for (int i = 0; i < kPerThread; ++i) {
        removed[t] +=
            store.Remove("contacts", "companies", std::to_string(i), {std::to_string(t), "999"});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int64_t n : removed) EXPECT_EQ(n, kPerThread);
  EXPECT_THAT(store.List("contacts", "companies"), IsEmpty());
}

}  // namespace
}  // namespace hubspot_simulator
