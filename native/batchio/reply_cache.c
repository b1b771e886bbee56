/* The bound-port reply sockets of one watched socket: a hash table with an LRU list (batchio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "batchio.h"

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static uint32_t bucket_of(reply_cache_t *c, uint32_t addr, uint16_t port) {
  uint32_t h = addr * 2654435761u ^ ((uint32_t)port * 40503u);
  h ^= h >> 15;
  return h & (c->nbuckets - 1);
}

static void lru_unlink(reply_cache_t *c, int32_t i) {
  entry_t *e = &c->entries[i];
  if (e->prev >= 0) c->entries[e->prev].next = e->next; else c->head = e->next;
  if (e->next >= 0) c->entries[e->next].prev = e->prev; else c->tail = e->prev;
  e->prev = e->next = -1;
}

static void lru_push_front(reply_cache_t *c, int32_t i) {
  entry_t *e = &c->entries[i];
  e->prev = -1;
  e->next = c->head;
  if (c->head >= 0) c->entries[c->head].prev = i;
  c->head = i;
  if (c->tail < 0) c->tail = i;
}

static void close_entry_fd(reply_cache_t *c, entry_t *e) {
  if (e->fd >= 0) {
    close(e->fd);
    e->fd = -1;
    c->counters[C_OPEN_REPLY_SOCKETS]--;
  }
}

static void remove_entry(reply_cache_t *c, int32_t i) {
  entry_t *e = &c->entries[i];
  int32_t *p = &c->buckets[bucket_of(c, e->addr, e->port)];
  while (*p >= 0 && *p != i) p = &c->entries[*p].chain;
  if (*p == i) *p = e->chain;
  lru_unlink(c, i);
  close_entry_fd(c, e);
  e->state = E_FREE;
  e->chain = c->free_list;
  c->free_list = i;
  c->used--;
}

/* Bind (listen address or 127.0.0.1 for loopback peers on a wildcard listen) port P, connect to the peer. */
static void open_entry(reply_cache_t *c, entry_t *e) {
  uint32_t bind_addr = (c->listen_addr == 0 && (e->addr >> 24) == 127) ? 0x7f000001u : c->listen_addr;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (c->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) err = errno;
    a.sin_addr.s_addr = htonl(bind_addr);
    a.sin_port = htons(e->port);
    if (err == 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0) err = errno;
    a.sin_addr.s_addr = htonl(e->addr);
    a.sin_port = htons(c->listen_port);
    if (err == 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) err = errno;
  }
  if (err != 0) {
    if (fd >= 0) close(fd);
    e->fd = -1;
    e->state = E_FAILED;
    e->failed_at = now_ms();
    c->counters[C_REPLY_BIND_FAILURES]++;
    c->counters[C_LAST_BIND_ERRNO] = err;
    c->counters[C_LAST_BIND_ADDRESS] = e->addr;
    c->counters[C_LAST_BIND_PORT] = e->port;
    return;
  }
  e->fd = fd;
  e->state = E_READY;
  c->counters[C_OPEN_REPLY_SOCKETS]++;
}

entry_t *cache_get(reply_cache_t *c, uint32_t addr, uint16_t port) {
  uint32_t b = bucket_of(c, addr, port);
  for (int32_t i = c->buckets[b]; i >= 0; i = c->entries[i].chain) {
    entry_t *e = &c->entries[i];
    if (e->addr == addr && e->port == port) {
      if (c->head != i) {
        lru_unlink(c, i);
        lru_push_front(c, i);
      }
      return e; /* a failed bind stays failed until sweep() forgets it, as in reply-bound-port.ts */
    }
  }
  if (c->used >= c->cap) {
    c->counters[C_REPLY_SOCKET_EVICTIONS]++;
    remove_entry(c, c->tail);
  }
  int32_t i = c->free_list;
  entry_t *e = &c->entries[i];
  c->free_list = e->chain;
  c->used++;
  e->addr = addr;
  e->port = port;
  e->fd = -1;
  e->chain = c->buckets[b];
  c->buckets[b] = i;
  lru_push_front(c, i);
  open_entry(c, e);
  return e;
}

int cache_init(reply_cache_t *c, int32_t cap) {
  c->cap = cap;
  c->nbuckets = 16;
  while (c->nbuckets < (uint32_t)cap * 2 && c->nbuckets < (1u << 30)) c->nbuckets <<= 1;
  c->entries = calloc((size_t)cap, sizeof(entry_t));
  c->buckets = malloc(sizeof(int32_t) * c->nbuckets);
  if (c->entries == NULL || c->buckets == NULL) return ENOMEM;
  for (uint32_t i = 0; i < c->nbuckets; i++) c->buckets[i] = -1;
  for (int32_t i = 0; i < cap; i++) {
    c->entries[i].chain = i + 1 < cap ? i + 1 : -1;
    c->entries[i].fd = -1;
    c->entries[i].prev = c->entries[i].next = -1;
  }
  c->head = c->tail = -1;
  c->free_list = 0;
  c->used = 0;
  return 0;
}

void cache_free(reply_cache_t *c) {
  free(c->entries);
  free(c->buckets);
  c->entries = NULL;
  c->buckets = NULL;
}

uint32_t cache_sweep(reply_cache_t *c, double age_ms) {
  uint32_t n = 0;
  double now = now_ms();
  for (int32_t i = c->head; i >= 0;) {
    int32_t next = c->entries[i].next;
    if (c->entries[i].state == E_FAILED && now - c->entries[i].failed_at >= age_ms) {
      remove_entry(c, i);
      n++;
    }
    i = next;
  }
  return n;
}

void cache_close_all(reply_cache_t *c) {
  if (c->entries == NULL) return;
  for (int32_t i = c->head; i >= 0; i = c->entries[i].next) close_entry_fd(c, &c->entries[i]);
}
