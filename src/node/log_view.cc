#include "node/log_view.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "coraft/codec.h"

namespace coraft::node {

void LogView::reset(Index first) {
  first_ = first;
  last_ = first - 1;
  prev_term_ = 0;
  runs_.clear();
  cache_.clear();
  cache_first_ = first;
  cache_bytes_ = 0;
  configs_.clear();
}

std::optional<Term> LogView::term_at(Index i) const {
  if (i == first_ - 1) return prev_term_;
  if (i < first_ || i > last_) return std::nullopt;
  auto it =
      std::upper_bound(runs_.begin(), runs_.end(), i, [](Index v, const Run& r) { return v < r.first; });
  return std::prev(it)->term;
}

Index LogView::first_index_of_term(Term term, Index upto) const {
  for (std::size_t k = 0; k < runs_.size(); ++k) {
    if (runs_[k].term == term) return runs_[k].first <= upto ? runs_[k].first : 0;
  }
  return 0;
}

Index LogView::last_index_of_term(Term term) const {
  for (std::size_t k = runs_.size(); k-- > 0;) {
    if (runs_[k].term == term) return k + 1 < runs_.size() ? runs_[k + 1].first - 1 : last_;
    if (runs_[k].term < term) break;
  }
  return 0;
}

void LogView::append_meta(const Entry& e) {
  if (e.index != last_ + 1) {
    throw std::logic_error("log append out of order: index " + std::to_string(e.index) + " after " +
                           std::to_string(last_));
  }
  if (runs_.empty() || runs_.back().term != e.term) {
    if (e.term < last_term()) throw std::logic_error("log append with a term lower than the tail's");
    runs_.push_back({e.index, e.term});
  }
  last_ = e.index;
  if (e.type == EntryType::kConfig) {
    Result<ClusterConfig> c = decode_config(e.data);
    if (!c.ok()) throw std::runtime_error("corrupt configuration entry at index " + std::to_string(e.index));
    configs_.emplace_back(e.index, std::move(c).value());
  }
}

void LogView::append(Entry entry, bool cache) {
  append_meta(entry);
  if (cache && cache_first_ + cache_.size() == entry.index) {
    cache_bytes_ += cost(entry);
    cache_.push_back(std::move(entry));
  } else {
    cache_.clear();
    cache_bytes_ = 0;
    cache_first_ = last_ + 1;
  }
}

void LogView::truncate_from(Index from) {
  if (from > last_) return;
  if (from < first_) throw std::logic_error("truncate below the first log index");
  while (!runs_.empty() && runs_.back().first >= from) runs_.pop_back();
  last_ = from - 1;
  while (!cache_.empty() && cache_first_ + cache_.size() - 1 >= from) {
    cache_bytes_ -= cost(cache_.back());
    cache_.pop_back();
  }
  if (cache_.empty()) cache_first_ = last_ + 1;
  while (!configs_.empty() && configs_.back().first >= from) configs_.pop_back();
}

const Entry* LogView::cached(Index i) const {
  if (i < cache_first_ || i >= cache_first_ + cache_.size()) return nullptr;
  return &cache_[i - cache_first_];
}

void LogView::evict(Index upto, std::uint64_t budget) {
  while (!cache_.empty() && cache_first_ <= upto && cache_bytes_ > budget) {
    cache_bytes_ -= cost(cache_.front());
    cache_.pop_front();
    ++cache_first_;
  }
}

}  // namespace coraft::node
