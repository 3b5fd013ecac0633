"""Active/standby memcached (the vendor's layout since Seafile 6.2.11): the
nodes name one virtual IP, keepalived moves it when the active memcached
stops, and nothing needs a Seafile restart, then or when it returns."""

from conftest import accepted_everywhere, login, virtual_ip, wait_until


def holders(groups, node):
    return [name for name in groups["memcached"]
            if " %s/" % virtual_ip() in node(name).check_output("ip -4 -o addr show")]


def started(groups, node):
    return {name: node(name).check_output("systemctl show -P ActiveEnterTimestampMonotonic seafile.service seahub.service")
            for name in groups["seafile_nodes"]}


def sessions_work(groups, address, py):
    """A new login through the load balancer is accepted by every node (sessions live in memcached)."""
    try:
        user, session = login(py, groups["seafile_lb"][0])
    except AssertionError:
        return False
    return accepted_everywhere(groups, address, py, user, session)


def test_one_memcached_node_holds_the_virtual_ip(groups, node):
    assert len(groups["memcached"]) == 2
    assert len(holders(groups, node)) == 1
    for name in groups["memcached"]:
        assert node(name).service("keepalived").is_running
        assert node(name).socket("tcp://%s:11211" % virtual_ip()).is_listening


def fail_over(groups, node, address, py, stopped, taker):
    """Stop memcached on the holder: the address moves to taker, sessions work again; then start it again."""
    node(stopped).check_output("systemctl stop memcached")
    try:
        assert wait_until(lambda: holders(groups, node) == [taker], timeout=30)
        assert wait_until(lambda: sessions_work(groups, address, py), timeout=30)
    finally:
        node(stopped).check_output("systemctl start memcached")
    assert wait_until(lambda: sessions_work(groups, address, py), timeout=30)


def test_the_virtual_ip_follows_memcached_and_seafile_never_restarts(groups, node, address, py):
    before = started(groups, node)
    active = holders(groups, node)[0]
    standby = [name for name in groups["memcached"] if name != active][0]
    assert sessions_work(groups, address, py)
    fail_over(groups, node, address, py, active, standby)
    # No fail-back (it would empty the cache again): the address stays...
    assert holders(groups, node) == [standby]
    # ...and the old active is a standby again: it takes the address back
    # when the other one's memcached stops.
    fail_over(groups, node, address, py, standby, active)
    assert started(groups, node) == before
