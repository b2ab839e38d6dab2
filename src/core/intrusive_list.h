#pragma once
#include <cstddef>
#include <vector>

namespace pooler {

// A node embedded in the object it links: O(1) unlink with no allocation, which is
// what moving a connection between pool state lists on every transaction needs.
struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  void* owner_list = nullptr;  // which list holds this node, for checks and state lookup
  void* object = nullptr;      // the object embedding this node (avoids offsetof tricks)
  bool linked() const { return owner_list != nullptr; }
};

template <class T, ListNode T::*Node>
class IntrusiveList {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  bool contains(const T* item) const { return (item->*Node).owner_list == this; }

  void push_back(T* item) {
    ListNode& n = item->*Node;
    n.prev = head_.prev;
    n.next = &head_;
    head_.prev->next = &n;
    head_.prev = &n;
    n.owner_list = this;
    n.object = item;
    ++size_;
  }
  void push_front(T* item) {
    ListNode& n = item->*Node;
    n.next = head_.next;
    n.prev = &head_;
    head_.next->prev = &n;
    head_.next = &n;
    n.owner_list = this;
    n.object = item;
    ++size_;
  }
  void remove(T* item) {
    ListNode& n = item->*Node;
    if (n.owner_list != this) return;
    n.prev->next = n.next;
    n.next->prev = n.prev;
    n.prev = n.next = nullptr;
    n.owner_list = nullptr;
    --size_;
  }
  T* front() const { return empty() ? nullptr : from_node(head_.next); }
  T* back() const { return empty() ? nullptr : from_node(head_.prev); }
  T* pop_front() {
    T* item = front();
    if (item) remove(item);
    return item;
  }

  class iterator {
   public:
    iterator(ListNode* n) : n_(n) {}
    T* operator*() const { return from_node(n_); }
    iterator& operator++() {
      n_ = n_->next;
      return *this;
    }
    bool operator!=(const iterator& o) const { return n_ != o.n_; }

   private:
    ListNode* n_;
  };
  iterator begin() const { return iterator(head_.next); }
  iterator end() const { return iterator(const_cast<ListNode*>(&head_)); }

  // Visits the items linked here now, for callbacks that may unlink any of them: closing
  // one connection can close others (the last one done ends a shutdown), so the next node
  // cannot be remembered. A snapshot is taken and each item still linked here is visited.
  // Items must outlive the call (connections go to a graveyard, not straight to delete).
  template <class F>
  void for_each_safe(F&& f) const {
    constexpr size_t kInline = 32;  // no allocation for the short lists of a pool
    T* inline_items[kInline];
    std::vector<T*> heap_items;
    T** items = inline_items;
    if (size_ > kInline) {
      heap_items.resize(size_);
      items = heap_items.data();
    }
    size_t count = 0;
    for (ListNode* n = head_.next; n != &head_; n = n->next) items[count++] = from_node(n);
    for (size_t i = 0; i < count; ++i) {
      if (contains(items[i])) f(items[i]);
    }
  }

  static T* from_node(ListNode* n) { return static_cast<T*>(n->object); }

 private:
  ListNode head_;
  size_t size_ = 0;
};

}  // namespace pooler
