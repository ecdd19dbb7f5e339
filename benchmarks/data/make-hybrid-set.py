#!/usr/bin/env python3
"""Writes the hybrid-search evaluation set (hybrid-memories.jsonl, hybrid-queries.jsonl), written for Mnemora.

Memories: 300 in one agent. 250 are records that differ mostly by an identifier (invoices, orders, error codes,
tickets, SKUs, people), with look-alikes that share most characters of the id (INV-2024-7781-B / -C / 7718-B).
55 are facts with a distinct meaning, each paired with a paraphrase query that shares few or none of its words.
Queries: 55 token queries (an id, a code or a name, alone or inside a short question) and 55 paraphrases.
Deterministic: the same file every run (seed 7)."""
import json, random, pathlib

random.seed(7)
here = pathlib.Path(__file__).parent
memories, queries = [], []

def add(text):
    memories.append({"id": f"m{len(memories):03d}", "content": text})
    return memories[-1]["id"]

customers = ["Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises", "Hooli", "Vandelay Imports"]
cities = ["Lisbon", "Oslo", "Denver", "Osaka", "Nairobi", "Lima", "Porto", "Tallinn"]
statuses = ["paid late", "paid on time", "disputed", "refunded", "written off"]
services = ["payments", "billing", "search", "auth", "shipping", "notifications"]
people_first = ["Anna", "Bruno", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kavya", "Lars"]
people_last = ["Lindqvist", "Okafor", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Schmidt", "Rossi", "Kowalski"]
teams = ["finance", "support", "platform", "sales", "legal"]

token_targets = []
for i in range(60):
    base = f"{random.randint(1000, 9999)}"
    inv = f"INV-2024-{base}-{random.choice('ABCD')}"
    swapped = f"INV-2024-{base[0:2]}{base[3]}{base[2]}-{inv[-1]}"
    text = f"Invoice {inv} for {random.choice(customers)} was {random.choice(statuses)}."
    mid = add(text)
    if i < 15:
        token_targets.append((inv, mid))
    # Look-alikes: another letter, two digits swapped.
    add(f"Invoice {inv[:-1]}{'E' if inv[-1] != 'E' else 'F'} for {random.choice(customers)} was {random.choice(statuses)}.")
    if i % 2 == 0:
        add(f"Invoice {swapped} for {random.choice(customers)} was {random.choice(statuses)}.")

for i in range(30):
    order = f"ORD-{random.randint(10000, 99999)}"
    mid = add(f"Order {order} to {random.choice(cities)} left the warehouse on day {random.randint(1, 28)}.")
    if i < 10:
        token_targets.append((order, mid))

for i in range(20):
    code = f"E{random.randint(1000, 9999)}"
    mid = add(f"Error {code} in the {random.choice(services)} service: the request timed out upstream.")
    if i < 10:
        token_targets.append((code, mid))

for i in range(15):
    first, last = people_first[i % len(people_first)], people_last[(i * 3) % len(people_last)]
    mid = add(f"{first} {last} from {random.choice(teams)} asked to be copied on the monthly report.")
    if i < 10:
        token_targets.append((f"{first} {last}", mid))

for i in range(10):
    sku = f"SKU-{random.choice(['TX', 'QX', 'ZR'])}{random.randint(100, 999)}"
    mid = add(f"Product {sku} is out of stock until the next shipment.")
    token_targets.append((sku, mid))

assert len(token_targets) == 55, len(token_targets)

# Facts with a distinct meaning and a paraphrase that says the same in other words.
facts = [
    ("The office closes at 6 pm on Fridays.", "what time do we shut on the last workday of the week"),
    ("Refunds take five business days to reach the customer's bank.", "how long until returned money shows up in an account"),
    ("Passwords must be rotated every ninety days.", "how often do credentials need changing"),
    ("The staging database is wiped every Sunday night.", "when does the test environment data get erased"),
    ("Anna prefers meetings in the morning before ten.", "which part of the day suits her for calls"),
    ("Our parking garage is closed for repairs this month.", "can I leave my car in the building lot right now"),
    ("The coffee machine on floor three is broken.", "where can't I get an espresso at the moment"),
    ("New hires receive their laptop on the first day.", "when do starters get a computer"),
    ("Expense reports are due by the fifth of each month.", "deadline for submitting reimbursement claims"),
    ("The company retreat will be held in the mountains in June.", "where is the staff offsite this summer"),
    ("Customers on the free plan get community support only.", "what help do non-paying users receive"),
    ("The API rate limit is one hundred requests per minute.", "how many calls can a client make each minute"),
    ("Backups are encrypted and kept for thirty days.", "how long are the safety copies retained"),
    ("The mobile app crashes when the camera permission is denied.", "phone application fails if photo access is refused"),
    ("Shipping to Canada takes about two weeks.", "delivery time for parcels going north of the US border"),
    ("We do not ship perishable food items abroad.", "can groceries be sent overseas"),
    ("The support line is staffed around the clock on weekdays.", "is help desk reachable at night during the week"),
    ("Dark mode is available in the settings menu.", "how to switch the interface to a black theme"),
    ("Accounts inactive for two years are deleted.", "what happens to profiles nobody used for a long time"),
    ("The quarterly planning meeting moved to Thursday.", "which day is the three-month roadmap session now"),
    ("Gift cards cannot be exchanged for cash.", "can vouchers be turned into money"),
    ("Loyalty points expire after twelve months.", "how long do reward credits stay valid"),
    ("The warehouse in Rotterdam handles all European returns.", "where do sent-back goods from the EU go"),
    ("Two-factor authentication is mandatory for administrators.", "do admins need a second login step"),
    ("The vacation policy grants twenty-five days per year.", "how much annual leave do employees get"),
    ("Server logs are kept for fourteen days.", "retention period for machine event records"),
    ("The printer on the second floor only prints in black and white.", "no colour output from the upstairs copier"),
    ("Enterprise customers get a dedicated account manager.", "do large clients have a personal contact person"),
    ("Prices will rise by five percent in January.", "cost increase at the start of next year"),
    ("The conference talk was rejected by the program committee.", "our presentation proposal was not accepted"),
    ("The cat needs its medication twice a day.", "how often should the pet get its pills"),
    ("Bob is allergic to peanuts.", "which food must he avoid because of a reaction"),
    ("The lease on the apartment ends in March.", "when does the rental contract for the flat finish"),
    ("Our team uses tabs, not spaces, for indentation.", "code formatting convention for leading whitespace"),
    ("The build fails when the disk is more than ninety percent full.", "compilation breaks if storage is nearly exhausted"),
    ("Wi-Fi in the meeting rooms is slow in the afternoon.", "wireless connection gets sluggish after lunch in conference spaces"),
    ("The board approved the budget for the new data centre.", "directors signed off funding for the server facility"),
    ("Students may borrow up to ten library books at once.", "maximum number of loans a pupil can hold"),
    ("Lab results are usually ready within forty-eight hours.", "how soon do blood test outcomes come back"),
    ("Telehealth visits are covered by the basic insurance plan.", "does the standard policy pay for video consultations with a doctor"),
    ("Flights to Reykjavik are often delayed in winter.", "are planes to Iceland late during the cold season"),
    ("The hotel offers free breakfast only to members.", "who gets the morning meal at no charge at the inn"),
    ("Visa applications must be submitted six weeks before travel.", "how early to apply for entry permission before a trip"),
    ("The kubernetes cluster is upgraded on the first Tuesday of each month.", "when is the container platform updated"),
    ("TLS certificates are renewed automatically by the ingress controller.", "who refreshes the HTTPS certs"),
    ("On-call engineers are paid a weekly stipend.", "is there extra money for being on pager duty"),
    ("The spring sale starts on the twentieth of March.", "when does the seasonal discount event begin"),
    ("Size charts for shoes follow the European system.", "which sizing standard do we use for footwear"),
    ("Damaged packages must be photographed before a claim is filed.", "what evidence is needed when a parcel arrives broken"),
    ("The churn rate fell below two percent last quarter.", "did fewer customers cancel recently"),
    ("Single sign-on works with Okta and Azure AD.", "which identity providers can users log in through"),
    ("Webhooks are retried five times with exponential backoff.", "how are failed callback deliveries repeated"),
    ("GDPR deletion requests are answered within thirty days.", "how quickly do we handle privacy erasure demands"),
    ("The onboarding checklist lives in the shared drive.", "where can I find the list of tasks for new starters"),
    ("Late deliveries get a ten percent voucher as compensation.", "what do customers receive when an order arrives behind schedule"),
]
assert len(facts) == 55
paraphrases = [(q, add(t)) for t, q in facts]

# Token queries: the bare token for most, a short question around it for some.
wrappers = ["{0}", "{0}", "what happened with {0}", "{0} status", "any news on {0}?"]
for i, (token, mid) in enumerate(token_targets):
    queries.append({"kind": "token", "query": wrappers[i % len(wrappers)].format(token), "expected": mid})
for q, mid in paraphrases:
    queries.append({"kind": "paraphrase", "query": q, "expected": mid})

# Shuffle the memories' order of insertion so ids do not follow the generator's blocks.
order = list(range(len(memories)))
random.shuffle(order)
with open(here / "hybrid-memories.jsonl", "w") as f:
    for i in order:
        f.write(json.dumps(memories[i]) + "\n")
with open(here / "hybrid-queries.jsonl", "w") as f:
    for q in queries:
        f.write(json.dumps(q) + "\n")
print(len(memories), "memories,", len(queries), "queries")
