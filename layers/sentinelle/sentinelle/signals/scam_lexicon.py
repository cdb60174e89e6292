"""The words of brand scams, in English and French: each signal's phrases, weight and reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: int  # points added to the score (negative: context that lowers it)
    reason: str  # completed with the words that matched
    harm: bool = False  # asks for money or data that hurts the victim directly


SIGNALS = {s.name: s for s in [
    Signal("offer", 15, "offer or coupon language"),
    Signal("prize", 20, "prize or giveaway bait"),
    Signal("payment_data", 35, "asks for payment data or security codes", harm=True),
    Signal("personal_data", 20, "asks to confirm an account or personal details"),
    Signal("voucher", 30, "asks for payment by prepaid voucher or untraceable transfer", harm=True),
    Signal("phone", 20, "gives a phone number as the contact route"),
    Signal("messaging", 20, "moves the conversation to a messaging app"),
    Signal("private_message", 10, "asks to continue in private messages"),
    Signal("crypto_address", 25, "contains a crypto-currency address", harm=True),
    Signal("crypto", 10, "crypto-currency or trading talk"),
    Signal("investment", 30, "promises investment returns"),
    Signal("recovery", 25, "offers to recover lost money or crypto (a recovery scam)"),
    Signal("premium_rate", 20, "the number is premium-rate or shared-cost"),
    Signal("urgency", 10, "pressure to act fast"),
    Signal("lure", 15, "refund, delivery, fee or account-problem lure"),
    Signal("shortener", 15, "a shortened link hides where it leads"),
    Signal("foreign_link", 10, "links to a domain that is not the brand's"),
    Signal("lookalike_link", 50, "links to a domain imitating the brand's"),  # alerts on its own
    Signal("weak_lookalike", 25, "links to a domain that looks a little like the brand's"),
    Signal("credential_page", 35, "the link leads to a page that asks for a password", harm=True),
    Signal("support_claim", 15, "a stranger presents itself as the brand's support or official page"),
    Signal("support_mention", 5, "mentions the brand's support"),
    Signal("brand_account", 20, "the account's name uses the brand but it is not an official account"),
    Signal("reassurance", 10, "insists that the offer is genuine"),
    Signal("request", 10, "tells the reader to act: send, call, click, confirm"),  # only beside an ask or a route
    Signal("contact_combo", 15, "an offer, lure or support that sends people to a phone, messaging app or DMs"),
    Signal("link_combo", 15, "a brand offer or lure that sends people to a link off the brand's domains"),
    Signal("lure_family", 25, "a known lure"),  # the reason is completed with the family's own (LURE_FAMILIES)
    Signal("second_lure", 10, "a second lure in the same message (a bill and a threat of suspension)"),
    Signal("reply_route", 20, "asks for a reply, a call back or a code instead of a link"),
    Signal("risky_link", 10, "the link is a raw IP address or under a suffix phishing favours"),
    Signal("link_mention", 10, "sends the reader to a link"),
    Signal("alert_claim", 5, "dresses the message as a security or fraud alert"),
    Signal("brand_link", 15, "a link that is not the brand's carries the brand's name"),
    Signal("warning", -50, "warns about scams"),  # -20 more for each further warning phrase
    Signal("news", -20, "reads like news, a complaint or a question about the brand"),
    Signal("official_link", -25, "links to the brand's own domain"),
]}

# Phrases are matched on normalised words (case, accents, spacing, leetspeak and look-alike
# letters do not matter), whole words only; "l" and "i" are not told apart.
PHRASES: dict[str, list[str]] = {
    "offer": [
        # en
        "coupon", "coupons", "coupon code", "promo code", "discount", "discount code", "voucher",
        "vouchers", "free", "for free", "gift card", "gift cards", "giftcard", "half price",
        "50 off", "70 off", "80 off", "90 off", "percent off", "special offer", "exclusive offer",
        "exclusive deal", "cashback", "cash back", "free shipping", "free delivery", "clearance",
        "flash sale", "huge sale", "everything must go", "bonus",
        # fr
        "bon de reduction", "bons de reduction", "code promo", "code de reduction", "reduction",
        "remise", "gratuit", "gratuite", "gratuits", "gratuites", "gratos", "offert", "offerte",
        "offerts", "offertes", "cadeau", "cadeaux", "carte cadeau", "cartes cadeaux", "bon d achat",
        "bons d achat", "cheque cadeau", "cheques cadeaux", "moitie prix", "prix casses",
        "liquidation totale", "destockage", "vente flash", "promo", "promotion", "soldes",
        "sur tout le site", "sur tout", "on everything",
    ],
    "prize": [
        # en
        "giveaway", "give away", "winner", "winners", "you won", "you have won", "you ve won",
        "u have won", "you are a winner", "congratulations", "congrats", "prize", "prizes",
        "cash prize", "airdrop is live", "airdrop live", "claim airdrop", "claim your airdrop",
        "your allocation", "complimentary", "entitled to", "await collection", "awaiting collection",
        "unredeemed", "un redeemed", "awaiting your collection", "you are awarded",
        "you have been awarded",
        "been awarded", "lucky day", "grant", "redeem", "to redeem", "claim", "claim your",
        "claim now", "to claim", "been selected",
        "have been chosen", "lucky", "reward", "rewards", "win", "won", "contest", "sweepstake",
        "sweepstakes", "lottery", "jackpot", "draw",
        # fr
        "concours", "jeu concours", "gagnant", "gagnante", "gagnants", "vous avez gagne",
        "tu as gagne", "felicitations", "lots a gagner", "a gagner", "gagnez", "gagner",
        "tirage au sort", "tire au sort", "tiree au sort", "recompense", "reclamez",
        "reclamer", "recuperez votre", "recuperer votre", "selectionne", "selectionnee",
        "loterie", "lots",
    ],
    "payment_data": [
        # en
        "card number", "credit card number", "debit card number", "card details", "card info",
        "credit card details", "bank details", "banking details", "bank account number",
        "account number", "sort code", "cvv", "cvc", "cvv2", "security code", "expiry date",
        "expiration date", "pin code", "pin number", "your pin", "ton code", "one time code",
        "one time password",
        "otp", "verification code", "confirmation code", "the code you received",
        "code we sent", "code sent to your phone", "password", "passcode", "login details",
        "online banking", "seed phrase", "recovery phrase", "secret phrase", "private key",
        "wallet phrase", "mnemonic", "payment info", "payment details", "payment information",
        "billing details", "send the code", "send the codes", "send me the code", "send me the codes",
        "send us the code", "send us the codes", "card ready", "your card handy", "card handy",
        # fr
        "numero de carte", "numero de ta carte", "numero de votre carte", "numeros de carte",
        "carte bancaire", "carte bleue", "coordonnees bancaires", "donnees bancaires",
        "informations bancaires", "infos bancaires", "releve d identite bancaire", "rib", "iban",
        "cryptogramme", "code de securite", "date d expiration", "date de validite",
        "code confidentiel", "code pin", "code secret", "code de confirmation",
        "code de verification", "code recu par sms", "code que vous avez recu",
        "code que tu as recu", "mot de passe", "identifiant", "identifiants",
        "code d acces", "infos de paiement", "informations de paiement", "donnees de paiement",
        "envoyez le code", "envoyez les codes", "envoyez nous le code", "envoie le code",
        "envoie moi le code", "photo du ticket", "photo du coupon", "phrase de recuperation", "cle privee",
        "phrase secrete", "carte en main",
        "carte bancaire en main", "munissez vous de votre carte",
    ],
    "personal_data": [
        # en
        "verify your account", "confirm your account", "confirm your details",
        "confirm your identity", "verify your identity", "update your details",
        "update your information", "your personal details", "your details", "full name and address",
        "date of birth", "connect your wallet", "validate your wallet", "connect wallet",
        "drop your wallet", "drop your wallet address", "comment your wallet", "your wallet address",
        "drop your address", "drop addy", "bind your wallet", "sync your wallet", "log in to",
        "login to", "sign in to",
        # fr
        "verifiez votre compte", "verifier votre compte", "confirmez votre compte",
        "confirmer votre compte", "confirmez vos informations", "confirmer vos informations",
        "confirmez vos coordonnees", "vos coordonnees", "tes coordonnees", "vos informations",
        "mettre a jour vos informations", "mettez a jour", "date de naissance",
        "verifier votre identite", "confirmez votre identite", "connectez votre portefeuille",
        "connectez vous", "reconnectez vous",
    ],
    "voucher": [
        "pcs", "coupon pcs", "recharge pcs", "carte pcs", "transcash", "neosurf", "paysafecard",
        "paysafe", "toneo", "ticket premium", "mandat cash", "western union", "moneygram",
        "ria money", "google play card", "google play gift card", "carte google play",
        "itunes card", "itunes cards", "itunes gift card", "google play cards", "steam cards", "carte itunes",
        "apple gift card", "carte apple",
        "steam card", "steam gift card", "carte steam", "amazon gift card", "coupon recharge",
        "coupons recharge", "prepaid card", "carte prepayee", "pay in bitcoin",
        "payer en bitcoin", "paiement en bitcoin", "pay with bitcoin", "pay in crypto",
        "payment in crypto", "payer en crypto", "paiement en crypto", "payable en crypto",
        "bitcoin atm", "cash app", "cashapp", "zelle", "venmo",
    ],
    "messaging": [
        "whatsapp", "whats app", "watsapp", "wattsapp", "wa me", "telegram", "telegramme",
        "viber", "wechat", "snapchat", "kik",
    ],
    "private_message": [
        "dm", "dm me", "dm us", "send a dm", "send us a dm", "message me", "message us",
        "inbox me", "inbox us", "private message", "direct message", "pm me", "text me",
        "en mp", "mp moi", "message prive", "messages prives", "ecrivez nous en prive",
        "contactez nous en prive", "ecris moi", "ecrivez moi",
    ],
    "crypto": [
        "bitcoin", "btc", "ethereum", "eth", "usdt", "tether", "crypto", "cryptocurrency",
        "cryptomonnaie", "cryptomonnaies", "crypto monnaie", "altcoin", "token", "tokens",
        "airdrop", "wallet", "metamask", "binance", "trading", "forex", "nft", "mint",
        "solana", "memecoin", "presale",
    ],
    "investment": [
        # en
        "guaranteed return", "guaranteed returns", "guaranteed profit", "guaranteed profits",
        "guaranteed income", "double your", "triple your", "double your money",
        "double your bitcoin", "risk free", "no risk", "passive income", "daily profit",
        "weekly profit", "returns of", "roi", "profit of", "x2", "x10", "x100", "100x",
        "send and receive", "we will send back", "send back double", "financial freedom",
        "investment plan", "investment opportunity", "investment group", "daily returns",
        "returns guaranteed", "profit guaranteed", "we send back", "send back", "will send back",
        "send you back", "invest now", "earn from home",
        "make money", "earn money",
        # fr
        "rendement garanti", "rendements garantis", "gain garanti", "gains garantis",
        "profit garanti", "revenu garanti", "doublez", "doubler votre", "triplez",
        "sans risque", "aucun risque", "revenu passif", "revenus passifs", "gains quotidiens",
        "placement garanti", "capital garanti", "investissez", "nous renvoyons", "on vous renvoie",
        "opportunite d investissement",
        "liberte financiere", "gagner de l argent", "argent facile",
    ],
    "recovery": [
        "recover your", "recover your funds", "recover your lost", "recover lost",
        "recovery expert",
        "recovery experts", "recovery professionals", "recovery specialist", "recovery service",
        "recovery assistance", "funds recovery", "fund recovery", "crypto recovery",
        "reclaim your funds", "get your money back", "get your funds back", "lost funds",
        "recuperer vos fonds", "recuperez vos fonds", "recuperer votre argent",
        "recuperez votre argent",
        "recuperation de fonds", "expert en recuperation",
    ],
    "urgency": [
        # en
        "today only", "only today", "now", "right now", "act now", "urgent", "urgently",
        "immediately", "asap", "hurry", "last chance", "limited time", "limited offer",
        "expires", "expires today", "expire", "expiring", "last day", "before midnight", "within 24 hours",
        "within 24h", "24 hours", "48 hours", "ends tonight", "ends today", "don t miss",
        "only a few left", "while stocks last", "suspended", "locked", "blocked", "deadline",
        "final notice", "final reminder",
        # fr
        "aujourd hui seulement", "seulement aujourd hui", "uniquement aujourd hui",
        "avant minuit", "dans les 24h", "sous 24h", "sous 24 heures", "sous 48h", "24 heures",
        "derniere chance", "dernier jour", "derniers jours", "derniere relance", "vite",
        "depechez vous", "immediatement", "urgent", "urgence", "tout de suite", "maintenant",
        "offre limitee", "duree limitee", "stock limite", "quantite limitee", "expire",
        "expire aujourd hui", "suspendu", "suspendue", "bloque", "bloquee", "ne tardez pas",
    ],
    "lure": [
        # en
        "refund", "refunds", "reimbursement", "compensation", "your parcel", "your package",
        "delivery failed", "failed delivery", "redelivery", "shipping fee", "delivery fee", "shipping costs",
        "pay shipping", "unlock your",
        "customs fee", "processing fee", "small fee", "unpaid", "outstanding payment",
        "your account has been", "your account will be", "unusual activity",
        "suspicious activity", "unauthorised", "unauthorized", "security alert",
        "account suspended", "has been suspended", "been blocked", "will be blocked",
        "has been locked",
        "unlock your account", "restore your account", "restore access", "kyc", "update your kyc",
        "account details", "not done by you", "if this was not you", "reactivate", "wire transfer",
        "transfer fee", "owes you", "in your favour",
        "in your favor", "your points", "loyalty points", "points expire", "points will expire",
        # fr
        "remboursement", "rembourse", "remboursee", "dedommagement", "indemnisation",
        "votre colis", "ton colis", "colis en attente", "livraison en attente",
        "echec de livraison", "frais de livraison", "frais de port", "frais d envoi", "frais de douane",
        "frais de dossier", "frais de traitement", "petits frais", "impaye", "facture impayee",
        "votre compte a ete", "votre compte sera", "activite inhabituelle",
        "activite suspecte", "alerte de securite", "compte suspendu", "a ete suspendu",
        "a ete bloque", "a ete bloquee", "sera bloque", "sera bloquee",
        "debloquer votre compte", "debloquez votre compte", "reactiver", "virement",
        "frais de virement", "vous doit", "en votre faveur",
        "vos points", "points de fidelite", "points fidelite", "points a recuperer",
        "points expirent",
    ],
    # Speaking as the brand's support ("ici le service client", "customer support here").
    "support_claim": [
        # en
        "customer support here", "customer service here", "customer care here", "support here",
        "support team here", "this is customer care", "this is customer service",
        "this is customer support", "this is the support team", "from the support team",
        "on behalf of", "official support", "official page", "official account", "official team",
        "official giveaway", "we are the official", "claims department", "refund department",
        "an agent of", "i m an agent", "our team", "our support team", "our customer service",
        "dear customer", "dear client", "helpline", "hotline",
        # fr
        "ici le service client", "ici le sav", "ici le support", "ici l equipe", "de la part de",
        "notre service client", "notre sav", "notre equipe", "notre equipe support", "equipe support",
        "equipe officielle", "page officielle", "compte officiel", "support officiel",
        "service client officiel", "notre conseiller", "notre conseillere", "cher client",
        "chere cliente", "chers clients",
    ],
    # Mere mentions of support: customers talk about it too.
    "support_mention": [
        "customer service", "customer support", "customer care", "support team", "help desk",
        "helpdesk", "technical support", "agent", "service client", "service clients",
        "service clientele", "support client", "assistance client", "service apres vente", "sav",
        "conseiller", "conseillere",
    ],
    "reassurance": [
        "not a scam", "no scam", "not fake", "legit", "100 legit", "this is real", "100 real",
        "trusted",
        "pas une arnaque", "pas d arnaque", "pas un fake", "ce n est pas une arnaque", "100 reel",
        "fiable",
        "100 fiable", "securise", "100 securise",
    ],
    "request": [
        # en
        "send", "send us", "send me", "give", "give us", "provide", "buy", "transfer", "deposit", "enter", "confirm",
        "share", "reply with", "call", "call us", "call now", "ring", "text", "txt",
        "contact", "contact us", "click", "click here", "tap", "visit", "pay", "fill in",
        # fr
        "envoyez", "envoyez nous", "envoie", "envoie moi", "envoyer", "transferez", "deposez", "donnez",
        "donnez nous", "donne",
        "communiquez", "communiquez nous", "transmettez", "indiquez", "saisissez", "entrez",
        "renseignez", "confirmez", "appelez", "appelez nous", "appelle", "appeler", "rappelez",
        "contactez", "contactez nous", "contacter", "cliquez", "cliquez ici", "clique",
        "payez", "reglez", "achetez", "remplissez",
    ],
    "warning": [
        # en
        "scam", "scams", "scammer", "scammers", "scam alert", "fraud", "fraudulent",
        "fraudster", "fraudsters", "phishing", "fake", "fakes", "fake account", "fake accounts",
        "impersonator", "impersonators", "impersonating", "fake customer service", "fake support",
        "how to spot", "how to recognise", "how to recognize", "beware", "be careful", "be aware",
        "watch out", "warning", "never give", "never share", "never ask", "will never ask",
        "never call", "do not click", "don t click", "do not share", "don t share",
        "do not reply", "don t reply", "report it", "report them", "stay safe", "not affiliated",
        # fr
        "arnaque", "arnaques", "arnaqueur", "arnaqueurs", "escroquerie", "escroqueries",
        "escroc", "escrocs", "fraude", "frauduleux", "frauduleuse", "hameconnage",
        "faux compte", "faux comptes", "faux service client", "faux support", "faux conseiller",
        "comment reconnaitre", "comment reperer", "faux site", "faux sites", "faux message",
        "faux messages", "usurpation", "usurpent", "tentative", "tentatives", "mefiez vous",
        "mefiance", "attention aux", "soyez vigilant", "soyez vigilants", "vigilance",
        "ne donnez jamais", "ne communiquez jamais", "ne partagez jamais",
        "ne demandera jamais", "ne demanderons jamais", "ne demande jamais", "jamais vos",
        "ne cliquez pas", "ne repondez pas", "signalez", "signalez les", "circulent",
        "ne sommes pas affilies", "aucun lien avec",
    ],
    "news": [
        # en
        "according to", "reported", "reports", "report says", "news", "article", "journalist",
        "press release", "police", "investigation", "lawsuit", "court", "charged", "arrested",
        "my order", "i ordered", "still waiting", "still haven t", "disappointed", "terrible",
        "worst", "complaint", "complain", "anyone else", "does anyone", "is this real",
        "is this legit", "is this a scam", "quarterly", "results", "ceo",
        # fr
        "selon", "d apres", "rapporte", "article", "journal", "presse", "communique",
        "enquete", "plainte", "plaintes", "police", "gendarmerie", "tribunal", "condamne",
        "ma commande", "j ai commande", "toujours pas", "toujours rien", "decu", "decue",
        "nul", "inadmissible", "honte", "quelqu un", "vous aussi", "est ce que", "c est vrai",
        "resultats", "chiffre d affaires",
    ],
}

# The message says it carries a link, though the link itself is lost (cut, or not copied).
PHRASES["link_mention"] = [
    "link below", "the link below", "following link", "link provided", "via the link", "at the link",
    "lien ci dessous", "le lien ci dessous", "lien suivant", "via le lien", "ce lien", "le lien",
    # a form to fill in is a link too, wherever it is
    "fill in the form", "fill out the form", "complete the form", "the form below", "remplir le formulaire",
    "remplissez le formulaire", "le formulaire suivant", "formulaire ci dessous", "formulaire ci joint",
]
PHRASES["reply_route"] = [
    # en: a lure with no link asks for an answer that starts the conversation
    "reply 1", "reply y", "reply yes", "reply no", "reply with", "reply to this", "reply to this message",
    "reply back", "text us back", "call us back", "call this number", "call us at",
    "call us on", "contact us on", "contact us at", "call support",
    "reply with the code", "send the code", "read me the code", "tell us the code", "share the code",
    # fr
    "repondez 1", "repondez oui", "repondez a ce message", "repondre oui", "repondez par", "rappelez nous",
    "rappelez le", "appelez le", "appelez nous au", "contactez nous au", "merci de rappeler",
    "communiquez nous le code", "transmettez le code", "donnez le code",
]
# A fraud or security alert is the lure's own costume ("Fraud Alert", "Fraud Dept"): its words
# are not a warning about scams (see `warnings_in_alerts` in the detector).
PHRASES["alert_claim"] = [
    "fraud alert", "fraud alerts", "fraud dept", "fraud dep", "fraud department", "fraud team",
    "fraud prevention", "fraud protection", "fraudulent transaction", "fraudulent transactions",
    "fraudulent activity", "fraudulent activities", "fraudulent charge", "fraudulent charges",
    "fraudulent login", "security alert", "security notice", "account alert",
    "tentative de connexion", "tentative de paiement", "tentative de fraude", "transaction frauduleuse",
    "transactions frauduleuses", "operation frauduleuse", "operations frauduleuses",
    "alerte fraude", "alerte securite", "alerte de securite", "service fraude",
]


@dataclass(frozen=True, slots=True)
class LureFamily:
    """A named scam type: it is seen when one of its topic phrases and one of its cue phrases
    are both in the text (a parcel and a problem with it, a tax and a refund), or one of its
    `plain` phrases alone."""

    name: str  # the scam type reported (evidence.scam_type)
    reason: str
    topics: tuple[str, ...]
    cues: tuple[str, ...]
    plain: tuple[str, ...] = ()
    weight: int = 25  # crypto talk is everywhere: that family names the scam but weighs little


_ADDRESS_CUES = ("address", "adresse", "zip code", "postcode", "post code", "code postal", "house number",
                 "door number", "street", "numero de rue")
LURE_FAMILIES: tuple[LureFamily, ...] = (
    LureFamily(
        "delivery_fee", "a parcel held, a delivery failed or a fee to pay for it",
        topics=("parcel", "parcels", "package", "packages", "pkg", "shipment", "shipments", "delivery",
                "deliveries", "courier", "tracking", "tracking number", "tracking code", "consignment",
                "postal", "post office", "sorting center", "sorting centre", "warehouse", "customs",
                "colis", "livraison", "livreur", "envoi", "expedition", "centre de tri", "entrepot", "douane",
                "paquete", "pakket", "pakje", "courrier", "lettre suivie", "recommande"),
        cues=("could not be delivered", "cannot be delivered", "can not be delivered", "unable to deliver",
              "not be delivered", "was not delivered", "not been delivered", "undeliverable", "failed",
              "delivery attempt", "attempted delivery", "tried to deliver", "on hold", "pending", "held",
              "returned", "return to sender", "returned to sender", "being returned", "incomplete", "missing",
              "redeliver", "redelivery", "reschedule", "re schedule", "schedule", "delivery preferences",
              "preferences", "fee", "fees", "customs fee", "duty", "duties", "unpaid", "pay", "awaiting",
              "waiting", "arrived", "cleared", "confirm delivery", "delayed", "paused", "suspended",
              "frais", "en attente", "en cours", "en route", "suivre", "suivez", "suivi", "instance",
              "bloque", "retenu", "reprogrammer", "programmer", "nouvelle livraison", "incomplete", "echec",
              "affranchissement", "non distribue", "n a pas pu etre livre", "retour", "payer", "reglez",
              "tasas", "signature", "gerez", "confirmer", "confirmez", "valider", "validez",
              "livraison echouee", "avis de passage", "mise en instance", "droits de douane", "taxes de douane",
              "frais d expedition", "reexpedition", "reporter la livraison", "creneau", "missed delivery",
              "delivery notice", "awaiting payment", "import fee", "import duties", "postage", "insufficient postage",
              "release your package", "unable to ship", "shipping address",
              *_ADDRESS_CUES),
    ),
    LureFamily(
        "tax_fine_toll", "a tax refund, a fine or a toll to pay or claim",
        topics=("irs", "tax", "taxes", "tax refund", "tax return", "federal return", "hmrc", "revenue agency",
                "impots", "impot", "impots gouv", "finances publiques", "finance publique", "dgfip",
                "tresor public", "amende", "amendes", "antai", "contravention", "contraventions",
                "proces verbal", "avis de contravention", "peage", "peages", "toll", "tolls", "ezpass",
                "e zpass", "fastrak", "sunpass", "fine", "fines", "penalty", "parking", "crit air",
                "vignette", "stationnement", "stimulus", "dmv", "radar", "exces de vitesse", "speeding", "ants", "permis",
                "points de permis", "forfait post stationnement", "taxe fonciere", "taxe d habitation",
                "avis d imposition", "credit d impot", "road toll", "toll balance", "unpaid toll"),
        cues=("refund", "refunds", "remboursement", "unpaid", "impaye", "impayee", "owe", "owed",
              "outstanding", "due", "overdue", "pay", "payment", "payer", "paiement", "reglez", "regler",
              "regulariser", "regularisez", "regularisation", "majoration", "majoree", "avoid", "eviter",
              "eligible", "admissible", "claim", "reclamer", "reclamez", "statement", "pdf",
              "action required", "action necessaire", "mettre a jour", "update", "ban", "banned",
              "suspended", "last notice", "dernier rappel", "avis", "balance", "solde", "surcharge",
              "late fee", "frais", "fix it", "fix", "blocked", "bloque", "en attente", "pending", "trop percu",
              "amende forfaitaire", "dernier avis", "final notice", "past due"),
    ),
    LureFamily(
        "health_insurance", "health insurance: a refund, or a card to renew",
        topics=("ameli", "assurance maladie", "carte vitale", "cpam", "mutuelle", "securite sociale",
                "health insurance", "medicare", "medicaid", "nhs", "dossier medical", "cnam", "assure",
                "assurance sante", "caisse d assurance", "caisse primaire", "sante", "tiers payant",
                "complementaire sante", "medicare card"),
        cues=("remboursement", "rembourse", "refund", "expire", "expiration", "expiree", "arrive a expiration",
              "mettre a jour", "mise a jour", "update", "nouvelle carte", "new card", "disponible", "available",
              "formulaire", "form", "eligible", "admissible", "droits", "renouveler", "renouvellement",
              "commander", "couvert", "covered", "verify", "verifier", "confirmer", "confirmez", "expedition",
              "recevrez", "recevoir", "montant", "euro", "euros", "eur"),
    ),
    LureFamily(
        "account_locked", "an account locked, suspended or with unusual activity, to verify",
        topics=("account", "accounts", "a c", "compte", "comptes", "card", "debit card", "credit card",
                "carte", "online banking", "online profile", "banque en ligne", "access", "acces", "profile",
                "login", "log in", "sign in", "apple id", "password", "membership", "subscription",
                "abonnement", "espace client", "espace personnel", "ligne", "contrat", "contract",
                "identifiant", "securipass", "pass securite", "billing information", "payment method",
                "mode de paiement", "device", "appareil", "connexion", "services", "service", "wallet",
                "portefeuille", "id", "charge", "charged", "transaction", "purchase", "achat", "paiement"),
        cues=("locked", "lock", "locking", "suspended", "suspend", "suspension", "restricted", "restriction",
              "limited", "limitation", "blocked", "block", "on hold", "hold", "disabled", "deactivated",
              "closed", "closure", "cloture", "expired", "verrouille", "suspendu", "suspendue", "restreint",
              "restreinte", "bloque", "bloquee", "desactive", "desactivee", "unusual", "irregular",
              "suspicious", "unauthorized", "unauthorised", "new login", "new device", "signed in",
              "login attempt", "log in attempt", "tried to log", "someone tried", "connexion suspecte",
              "tentative de connexion", "nouvel appareil", "nouvelle connexion", "verify", "verification",
              "verifier", "verifiez", "validate", "valider", "validez", "confirm your", "confirmez vos",
              "reactivate", "reactiver", "reactivation", "unlock", "unblock", "debloquer", "debloquez",
              "regain", "restore", "retablir", "mettre a jour", "mise a jour", "update your", "authentification",
              "authentication", "review", "not you", "ne reconnaissez pas", "don t recognize",
              "do not recognize", "don t recognise", "unrecognized", "unrecognised", "attempt", "did not authorize",
              "not authorized", "if this was not you", "if it was not you", "si ce n etait pas vous", "wasn t you",
              "was not you", "not done by you",
              "pas vous", "compromised", "under review", "renouvelez", "renew", "actualiser", "verrouillage",
              "suspension temporaire", "acces restreint", "acces limite", "authentifier", "certifier", "certification",
              "securiser", "securisez", "double authentification", "new sign in", "sign in attempt", "login from",
              "password reset", "device added", "temporarily", "temporairement", "re verify", "kyc"),
    ),
    LureFamily(
        "unpaid_bill", "an unpaid or double-paid bill, a service about to be cut off",
        topics=("bill", "bills", "billing", "billpay", "invoice", "facture", "factures", "payment", "paiement",
                "prelevement", "prelevements", "preleve", "prelevee", "debit", "debite", "debitee", "subscription",
                "abonnement",
                "consommation", "surconsommation", "forfait", "ligne", "membership", "electricite", "energy"),
        cues=("unpaid", "impaye", "impayee", "failed", "declined", "refused", "refuse", "rejete", "echec",
              "double", "deux fois", "en double", "twice", "paid twice", "erreur", "error", "overcharged",
              "trop percu", "remboursement", "refund", "due", "overdue", "suspension", "suspendu",
              "cut off", "disconnect", "disconnected", "coupure", "interruption", "regulariser",
              "regularisez", "regularisation", "update billing", "en attente", "late fee", "retard", "rejet",
              "acquittement", "did not process", "unable to process", "not process", "issues processing",
              "trouble", "expired", "expire", "restreint", "restricted", "on hold", "fix your bill", "renewal",
              "echeance", "dernier avis", "relance", "mise en demeure", "defaut de paiement", "rejet de prelevement",
              "unpaid invoice", "final notice", "past due", "service interruption", "disconnection"),
    ),
    LureFamily(
        "prize_survey", "a prize, a survey reward or loyalty points to claim",
        topics=("prize", "prizes", "gift", "gifts", "reward", "rewards", "winner", "giveaway", "survey",
                "questionnaire", "sondage", "enquete", "points", "loyalty", "fidelite", "cadeau", "cadeaux",
                "gagnant", "gagnants", "lot", "concours", "present", "award", "carte cadeau", "gift card",
                "iphone", "ipad", "airpods", "macbook", "playstation", "ps5", "voucher", "bon d achat", "bon cadeau",
                "tirage", "instant gagnant"),
        cues=("won", "win", "claim", "redeem", "selected", "chosen", "congratulations",
              "congrats", "felicitations", "felicitation", "bravo", "expire", "expirent", "reclamez",
              "recuperez", "recevoir", "receive", "dedicated", "reserved", "reserve", "awarded", "awarding",
              "gratitude", "thank you", "merci", "gagne", "gagnee", "utilisez", "choose", "choisissez",
              "selectionnez", "compensated", "1 min", "60 sec", "earned"),
        weight=25,  # in place of the prize signal (see the detector's `_score`)
    ),
    LureFamily(
        "job_offer", "a job offer that pays too well or asks a fee",
        topics=("job", "jobs", "hiring", "recruiting", "recruitment", "vacancy", "part time", "full time",
                "work from home", "remote work", "salary", "emploi", "recrutement", "teletravail",
                "travail a domicile", "remuneration", "salaire", "hr department", "recruiter"),
        cues=("per day", "par jour", "per hour", "par heure", "a day", "daily pay", "weekly pay", "whatsapp",
              "telegram", "training fee", "registration fee", "frais d inscription", "earn", "gagnez",
              "no experience", "sans experience", "commission"),
    ),
    LureFamily(
        "marketplace_payment", "a fake payment for an item sold on a marketplace",
        topics=("buyer", "seller", "acheteur", "acheteuse", "vendeur", "your item", "your listing",
                "votre annonce", "votre article", "leboncoin", "vinted", "marketplace", "payment received",
                "paiement recu", "article vendu", "votre vente", "item sold", "buyer paid", "l acheteur"),
        cues=("confirm", "confirmer", "confirmez", "receive the money", "recevoir l argent",
              "recevoir le paiement", "receive payment", "receive the payment", "secure payment",
              "paiement securise", "card details", "coordonnees bancaires", "delivery", "livraison",
              "transfer", "virement", "paid", "paye", "payer", "funds"),
    ),
    LureFamily(
        "benefit_claim", "a public benefit or training budget to claim before it expires",
        topics=("cpf", "c p f", "compte personnel de formation", "compte formation", "mon compte formation",
                "dif", "d i f", "droits formation", "formation", "caf", "allocation", "allocations",
                "unemployment", "benefits", "aides", "cheque energie", "social security", "pole emploi",
                "france travail", "edd", "prime", "aide", "caisse de retraite", "retraite",
                "pension", "rsa", "apl", "allocations familiales", "ssa", "stimulus check"),
        cues=("solde", "balance", "expire", "expirer", "expiration", "echeance", "reclamez", "reclamer",
              "financee", "finance", "prise en charge", "actualise", "mis a jour", "a jour", "eligible", "claim",
              "utilisez", "convertir", "verifiez", "consulter", "consultez", "droits", "suspended",
              "card", "verify", "augmenter", "integralement", "gratuite"),
    ),
    LureFamily(
        "crypto_investment", "crypto or investment returns",
        topics=("crypto", "bitcoin", "btc", "usdt", "eth", "ethereum", "investment", "invest", "investir",
                "trading", "forex", "placement"),
        cues=("profit", "profits", "returns", "earn", "gain", "gains", "withdraw", "withdrawal", "retrait",
              "income", "revenu", "rendement", "double", "guaranteed", "garanti"),
        weight=5,
    ),
)

# Brand names that are ordinary words: a mention counts only with evidence that the brand is
# meant (see `ScamRules._meant`). Folded spellings.
COMMON_WORD_BRANDS = frozenset({
    "free", "orange", "target", "mint", "shell", "apple", "chase", "visa", "sky", "three", "next", "boots",
    "gap", "total", "action", "square", "discover", "ally", "current", "chime", "key", "regions", "citizens",
    "navy", "virgin", "boost", "metro", "steam", "discord", "fido", "sprint", "cash", "post", "signal",
    "line", "edge", "meta", "ring", "nest", "wish", "lime", "bolt", "bond", "global", "united", "delta",
    "frontier", "spirit", "direct", "express", "prime", "nationwide", "popular",
    "poste", "red",
})


__all__ = ["COMMON_WORD_BRANDS", "LURE_FAMILIES", "LureFamily", "PHRASES", "SIGNALS", "Signal"]
