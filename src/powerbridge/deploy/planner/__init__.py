"""The pure planner: a `DeploymentSpec` and a `CloudView` become a `Plan`, with no I/O.

```python
plan = build_plan(spec, view)
if not plan.ok:
    for block in plan.blocks:
        print(block.message)
```

A plan is what apply will do, in the same objects: `creates` holds volumes first, then
collocation rules, then servers, each with the exact request body apply sends (`request()`),
references to other plan items (`Ref`) filled in with ids as apply learns them. `unchanged`
lists what this deployment already has; `blocks` says why nothing may be created (`ok` is
False when there is any).

What the planner does, in order:

1. Identity. A server or volume of the spec's name that carries metadata
   `powerbridge:deployment=<deployment>` is this deployment's: unchanged (matched by name;
   its other properties are shown, not compared). One without the tag, or with another
   deployment's, is a conflict and blocks. A collocation rule of the same name and policy is
   reused; another policy blocks.
2. Resolution. Every name (compute template, image, network, storage template, host, host
   group, storage connectivity group, collocation rule) becomes an id, accepting an id too;
   an unknown name suggests the closest known one, a name several resources share is
   ambiguous. Only items whose every reference resolves are listed in `creates`.
3. PowerVM rules (`powerbridge.powervm.check_template`) on each compute template merged with
   the server's `powervm:` overrides and storage connectivity group. A server with overrides
   or a group sends an inline flavor with the merged extra specs, otherwise `flavorRef`.
4. Capacity it can see: memory and processing units of the usable hosts each server may land
   on (its host, host group and SCG), checked for every such set of hosts against the servers
   confined to it, and one host able to take each server; storage provider free space; free
   IP addresses per network, fixed IPs inside the network's subnets and unused; the project's
   instance, core and RAM limits; collocation feasibility (anti-affinity: enough distinct
   usable hosts not holding a member; affinity: a common host with room for all members).

Every lookup goes through an index built once per view and every per-template or per-domain
computation is cached, so planning is linear in the number of servers.

One module per concern: `resolution` (identity and names, 1 and 2), `powervm_rules` (3),
`placement`, `capacity`, `addresses` and `collocation` (4); `run` calls them in order and
`findings` gathers what they find. The plan's objects are in `powerbridge.deploy.plan_model`.
"""

from powerbridge.deploy.planner.run import build_plan

__all__ = ["build_plan"]
